import { type RandomSource, uniform } from '../backoff/backoff.js';
import type { Clock } from '../clock.js';
import { isOverloadError, ThrottledError } from '../errors.js';
import type { Ctx } from '../internal/context.js';
import {
  clockOf,
  optionalFunction,
  orDefault,
  requireAtLeast,
  policyName,
  requirePositive,
} from '../internal/validate.js';
import { type Next, PolicyBase, RUN } from '../policy.js';
import { SlidingCounter } from '../internal/sliding-counter.js';
import { requireBuckets, sliceAt } from './slices.js';

/**
 * Options of {@link adaptiveThrottle}. All are optional; a bad value throws {@link InvalidOptionError} naming the
 * option.
 */
export interface AdaptiveThrottleOptions {
  /**
   * How many requests per accepted one the client still sends before throttling (SRE "K"). Lower is more
   * aggressive; 2 lets twice the accepted traffic through. Must be >= 1. Default 2.
   */
  readonly k?: number;
  /** Length of the sliding window the counts cover (ms). Default 120 000 (two minutes). */
  readonly window?: number;
  /** Time slices the window is counted in. Default 10. */
  readonly buckets?: number;
  /**
   * Which errors mean the dependency refused or failed to serve the request (they count as requests but not as
   * accepts). Default: `isOverloadError`. Every other error means the dependency answered, so it counts as
   * accepted: a 404 or a validation error is not a sign of overload.
   */
  readonly handle?: (error: unknown) => boolean;
  /**
   * Random source in [0, 1) deciding each throttled draw. Default Math.random. A draw >= 1 counts as just below 1
   * (never throttled), a negative one as 0, and NaN or a non-number is replaced by a Math.random() draw.
   */
  readonly random?: RandomSource;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'adaptiveThrottle'`. */
  readonly name?: string;
}

/** What the throttle has counted in its window right now. */
export interface AdaptiveThrottleStats {
  /** Requests seen, including those throttled client-side. */
  readonly requests: number;
  /** Requests the dependency accepted. */
  readonly accepts: number;
  /** Probability that the next request is throttled. */
  readonly rejectionProbability: number;
}

/** Channels of the counter. */
const REQUESTS = 0;
const ACCEPTS = 1;

/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"): once the dependency accepts fewer than
 * 1/k of the requests, the client drops the excess locally with probability
 * `max(0, (requests - k * accepts) / (requests + 1))` instead of sending it, and raises `ThrottledError`.
 * Throttled requests count as requests, so the pressure rises while the dependency keeps refusing and falls as
 * soon as accepted answers come back.
 */
export class AdaptiveThrottlePolicy extends PolicyBase<never, 'success' | 'failure' | 'rejected'> {
  /** The multiplier in force: {@link AdaptiveThrottleOptions.k}. */
  declare readonly k: number;
  /** The length of the window of counted requests (ms): {@link AdaptiveThrottleOptions.window}. */
  declare readonly window: number;
  declare private readonly handle: (error: unknown) => boolean;
  declare private readonly random: RandomSource;
  declare private readonly clock: Clock;
  /** Requests and accepts, in `buckets` slices of the window (see SlidingCounter). */
  declare private readonly counts: SlidingCounter;

  constructor(options: AdaptiveThrottleOptions = {}) {
    super(policyName(options, 'adaptiveThrottle'));
    this.k = requireAtLeast('k', orDefault(options.k, 2), 1);
    this.window = requirePositive('window', orDefault(options.window, 120_000));
    const buckets = requireBuckets(orDefault(options.buckets, 10));
    this.handle = optionalFunction('handle', options.handle) ?? isOverloadError;
    this.random = optionalFunction('random', options.random) ?? Math.random;
    this.clock = clockOf(options.clock);
    this.counts = new SlidingCounter(buckets, 2, sliceAt(this.clock.now(), this.window, buckets));
  }

  /** Probability that the next request is throttled, from the counts in the window now. */
  get rejectionProbability(): number {
    this.roll();
    return this.probability();
  }

  /**
   * The requests, accepts and current rejection probability of the window, as a snapshot (a new object on every call).
   */
  stats(): AdaptiveThrottleStats {
    this.roll();
    return {
      requests: this.counts.total(REQUESTS),
      accepts: this.counts.total(ACCEPTS),
      rejectionProbability: this.probability(),
    };
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    this.roll();
    const p = this.probability();
    // No draw when healthy: the success path costs a clock read and a few additions.
    if (p > 0 && uniform(this.random) < p) {
      this.counts.add(REQUESTS);
      if (this.listens('rejected')) this.events.emit('rejected', { policy: this.name, reason: 'throttled' });
      return Promise.reject(new ThrottledError());
    }
    return this.run(context, next);
  }

  private async run(context: Ctx, next: Next): Promise<unknown> {
    const started = this.listens('success') || this.listens('failure') ? this.clock.now() : 0;
    try {
      const value = await next(context);
      this.record(true);
      this.reportSuccess(this.clock, started);
      return value;
    } catch (error) {
      // The caller giving up says nothing about the dependency: such a request is not counted at all.
      if (!context.aborted) this.record(!this.handle(error));
      this.reportFailure(this.clock, error, started);
      throw error;
    }
  }

  /** Counts a request when its outcome is known, so a long call is judged by how it ended. */
  private record(accepted: boolean): void {
    this.roll();
    this.counts.add(REQUESTS);
    if (accepted) this.counts.add(ACCEPTS);
  }

  private roll(): void {
    this.counts.advance(sliceAt(this.clock.now(), this.window, this.counts.slices));
  }

  /** From the slices entirely inside the window. */
  private probability(): number {
    const requests = this.counts.total(REQUESTS);
    return Math.max(0, (requests - this.k * this.counts.total(ACCEPTS)) / (requests + 1));
  }
}

/**
 * Client-side adaptive throttling (Google SRE). Defaults: k 2, window 2 min, overload errors are refusals.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function adaptiveThrottle(options?: AdaptiveThrottleOptions): AdaptiveThrottlePolicy {
  return new AdaptiveThrottlePolicy(options);
}
