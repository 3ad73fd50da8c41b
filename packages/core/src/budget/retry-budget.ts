import type { Clock } from '../clock.js';
import {
  clockOf,
  optionsOf,
  orDefault,
  requireFiniteNonNegative,
  requirePositive,
  requireRatio,
} from '../internal/validate.js';
import type { RetryGate } from '../retry/retry.js';
import { SlidingCounter } from '../internal/sliding-counter.js';
import { requireBuckets, sliceAt } from './slices.js';

/**
 * Options of {@link retryBudget}. All are optional; a bad value throws {@link InvalidOptionError} naming the option.
 */
export interface RetryBudgetOptions {
  /** Share of the requests seen in the window that may be retried. Default 0.1 (10 %). */
  readonly ratio?: number;
  /**
   * Retries always allowed on top of the ratio, per second of window (so low-traffic clients can still retry).
   * Default 1, i.e. 10 retries per default 10 s window.
   */
  readonly minRetriesPerSecond?: number;
  /** Length of the sliding window (ms). Default 10 000. */
  readonly window?: number;
  /** Time slices the window is counted in; more slices track the window more closely. Default 10. */
  readonly buckets?: number;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
}

/** What the budget has seen in its window right now. */
export interface RetryBudgetStats {
  /** Requests (executions) recorded in the window. */
  readonly requests: number;
  /** Retries granted in the window. */
  readonly retries: number;
  /** Retries it would grant right now. */
  readonly available: number;
}

/** Channels of the counter. */
const REQUESTS = 0;
const RETRIES = 1;

/**
 * A retry budget shared by many retry (or hedge) policies: at any moment, the retries granted during the last
 * `window` ms never exceed `ratio` x the requests recorded during the last `window` ms plus
 * `minRetriesPerSecond` x `window` / 1000. A storm of failures therefore adds at most that share of extra load.
 *
 * Counting is done in `buckets` slices and rounds against retrying: only requests in slices entirely inside the
 * window count, and retries in every slice touching it do, so the budget is at most one slice stricter than the
 * exact rule, never looser.
 */
export class RetryBudget implements RetryGate {
  /** Retries allowed per first attempt: {@link RetryBudgetOptions.ratio}. */
  declare readonly ratio: number;
  /** Retries always allowed per second, whatever the ratio: {@link RetryBudgetOptions.minRetriesPerSecond}. */
  declare readonly minRetriesPerSecond: number;
  /** The window over which attempts and retries are counted (ms): {@link RetryBudgetOptions.window}. */
  declare readonly window: number;
  /** Retries allowed per window whatever the traffic. */
  declare private readonly reserve: number;
  /** Requests and granted retries, in `buckets` slices of the window (see SlidingCounter). */
  declare private readonly counts: SlidingCounter;
  declare private readonly clock: Clock;

  constructor(options?: RetryBudgetOptions) {
    const o = optionsOf(options);
    this.ratio = requireRatio('ratio', orDefault(o.ratio, 0.1));
    this.minRetriesPerSecond = requireFiniteNonNegative(
      'minRetriesPerSecond',
      orDefault(o.minRetriesPerSecond, 1),
    );
    this.window = requirePositive('window', orDefault(o.window, 10_000));
    const buckets = requireBuckets(orDefault(o.buckets, 10));
    this.clock = clockOf(o.clock);
    this.reserve = (this.minRetriesPerSecond * this.window) / 1000;
    this.counts = new SlidingCounter(buckets, 2, sliceAt(this.clock.now(), this.window, buckets));
  }

  recordAttempt(): void {
    this.roll();
    this.counts.add(REQUESTS);
  }

  tryAcquireRetry(): boolean {
    this.roll();
    if (this.counts.touching(RETRIES) + 1 > this.allowance()) return false;
    this.counts.add(RETRIES);
    return true;
  }

  /** Counts in the window now (requests, granted retries, retries still available). */
  stats(): RetryBudgetStats {
    this.roll();
    const retries = this.counts.touching(RETRIES);
    return {
      requests: this.counts.total(REQUESTS),
      retries,
      available: Math.max(0, Math.floor(this.allowance() - retries)),
    };
  }

  private roll(): void {
    this.counts.advance(sliceAt(this.clock.now(), this.window, this.counts.slices));
  }

  /** Requests count only in slices entirely inside the window (retries in every slice touching it). */
  private allowance(): number {
    return this.counts.total(REQUESTS) * this.ratio + this.reserve;
  }
}

/**
 * Creates a retry budget to share between policies: `retry({ budget })`, `hedge({ budget })`.
 * Defaults: ratio 0.1, minRetriesPerSecond 1, window 10 s.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function retryBudget(options?: RetryBudgetOptions): RetryBudget {
  return new RetryBudget(options);
}
