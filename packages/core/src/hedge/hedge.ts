import type { Clock, TimerOptions } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import type { Ctx } from '../internal/context.js';
import { type Holders, NO_HOLDERS } from '../internal/slot-holders.js';
import { unrefOption } from '../internal/timer-options.js';
import {
  clockOf,
  describe,
  optionalFunction,
  optionalRetryGate,
  orDefault,
  policyName,
  requireInteger,
} from '../internal/validate.js';
import { type Next, PolicyBase, RUN } from '../policy.js';
import type { RetryGate } from '../retry/retry.js';
import { HedgeRun } from './hedge-run.js';
import { LatencyWindow, type PercentileDelay } from './latency-window.js';

/**
 * How long to wait before starting hedge `hedge` (1 = the first extra attempt), counted from the start of the
 * attempt before it. A number applies to every hedge; Infinity means "only hedge on failure". A
 * {@link PercentileDelay} takes it from the latencies the policy observes.
 */
export type HedgeDelay = number | ((hedge: number) => number) | PercentileDelay;

/** Options of {@link hedge}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface HedgeOptions {
  /**
   * Wait (ms) before each extra attempt, a function of the hedge number, or `{ percentile, ... }` to hedge past a
   * percentile of the latencies observed ({@link PercentileDelay}). Required.
   */
  readonly delay: HedgeDelay;
  /** Extra attempts at most (the primary not included). Default 1. 0 disables hedging. */
  readonly maxHedges?: number;
  /**
   * Which errors let the other attempts carry on (and start the next hedge at once). An error it rejects ends
   * the whole execution with that error. Default: every error.
   */
  readonly handle?: (error: unknown) => boolean;
  /**
   * Which results count as failures (an empty answer, a degraded response...): such an attempt is treated like a
   * failed one: the others carry on and the next hedge starts at once, and it never wins. When every attempt
   * started ends so, the execution resolves with the outcome of the attempt that ended last. Default: every
   * result is acceptable.
   */
  readonly handleResult?: (result: unknown) => boolean;
  /** A shared budget (see retryBudget): each hedge takes one retry from it; once refused, no more hedges. */
  readonly budget?: RetryGate;
  /**
   * Let the process exit while the next hedge is pending. Default false: the hedge timer keeps a Node process
   * alive while the execution runs (it is cleared once the execution settles).
   */
  readonly unref?: boolean;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'hedge'`. */
  readonly name?: string;
}

/**
 * Runs extra copies of a slow call: when the attempt in flight has not settled after `delay`, another one starts
 * (its context has `hedge` = 1, 2...). The first acceptable result wins and the others' signals are aborted. A failed
 * attempt leaves the others running and starts the next hedge at once; the execution fails only when every
 * attempt started has failed and no more may start, with the error of the attempt that failed last.
 */
export class HedgePolicy extends PolicyBase<never, 'success' | 'failure' | 'hedge'> {
  /** Extra attempts at most: {@link HedgeOptions.maxHedges} (default 1). */
  declare readonly maxHedges: number;
  /** @internal */
  declare readonly clock: Clock;
  /** @internal */
  declare readonly budget: RetryGate | undefined;
  /** @internal */
  declare readonly timerOptions: TimerOptions | undefined;
  declare private readonly delay: number | ((hedge: number) => number);
  declare private readonly handle: ((error: unknown) => boolean) | undefined;
  /** @internal {@link HedgeOptions.handleResult}. */
  declare readonly handleResult: ((result: unknown) => boolean) | undefined;
  /** @internal The latencies observed, when the delay is a percentile of them. */
  readonly latencies: LatencyWindow | undefined;

  constructor(options: HedgeOptions) {
    super(policyName(options, 'hedge', 'delay'));
    const delay = options.delay;
    if (typeof delay === 'object' && delay !== null && 'percentile' in delay) {
      this.latencies = new LatencyWindow(delay);
      this.delay = 0;
    } else if (typeof delay === 'function' || (typeof delay === 'number' && delay >= 0)) {
      this.delay = delay;
    } else {
      throw new InvalidOptionError(
        'delay',
        `expected a number >= 0 (Infinity allowed), a function of the hedge number or { percentile }, got ${describe(delay)}`,
      );
    }
    this.maxHedges = requireInteger('maxHedges', orDefault(options.maxHedges, 1), 0);
    this.handle = optionalFunction('handle', options.handle);
    this.handleResult = optionalFunction('handleResult', options.handleResult);
    this.timerOptions = unrefOption(options.unref);
    this.budget = optionalRetryGate(options.budget);
    this.clock = clockOf(options.clock);
  }

  [RUN](context: Ctx, next: Next, holders: Holders = NO_HOLDERS): Promise<unknown> {
    if (context.aborted) return Promise.reject(context.reason);
    let firstDelay = Number.POSITIVE_INFINITY;
    if (this.maxHedges > 0) {
      // A bad delay function fails before the primary starts, not in the middle of the execution.
      try {
        firstDelay = this.delayBefore(1);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.budget?.recordAttempt();
    return new Promise((resolve, reject) => {
      new HedgeRun(this, context, next, holders, resolve, reject).start(firstDelay);
    });
  }

  /** @internal The validated wait before hedge `hedge`. */
  delayBefore(hedge: number): number {
    if (this.latencies !== undefined) return this.latencies.delay();
    const delay = typeof this.delay === 'number' ? this.delay : this.delay(hedge);
    if (typeof delay !== 'number' || !(delay >= 0)) {
      throw new InvalidOptionError(
        'delay',
        `delay(${hedge}) returned ${describe(delay)}; expected a number >= 0 or Infinity`,
      );
    }
    return delay;
  }

  /** @internal */
  handles(error: unknown): boolean {
    return this.handle === undefined || this.handle(error);
  }

  /** @internal */
  emitHedge(hedge: number): void {
    if (this.listens('hedge')) this.events.emit('hedge', { policy: this.name, hedge });
  }

  /** @internal */
  report(failed: boolean, error: unknown, started: number): void {
    if (failed) this.reportFailure(this.clock, error, started);
    else this.reportSuccess(this.clock, started);
  }
}

/**
 * Hedges slow calls: `hedge({ delay: 200, maxHedges: 1 })` starts a second attempt when the first has not
 * settled after 200 ms; the first success wins.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function hedge(options: HedgeOptions): HedgePolicy {
  return new HedgePolicy(options);
}
