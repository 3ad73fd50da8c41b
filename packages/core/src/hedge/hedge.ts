import type { Clock, TimerHandle, TimerOptions } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import { type Ctx, type Holders, leaveBehind, NO_HOLDERS, ScopedContext } from '../internal/context.js';
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
import type { RetryGate } from '../retry.js';

/**
 * How long to wait before starting hedge `hedge` (1 = the first extra attempt), counted from the start of the
 * attempt before it. A number applies to every hedge; Infinity means "only hedge on failure".
 */
export type HedgeDelay = number | ((hedge: number) => number);

export interface HedgeOptions {
  /** Wait (ms) before each extra attempt, or a function of the hedge number. Required. */
  readonly delay: HedgeDelay;
  /** Extra attempts at most (the primary not included). Default 1. 0 disables hedging. */
  readonly maxHedges?: number;
  /**
   * Which errors let the other attempts carry on (and start the next hedge at once). An error it rejects ends
   * the whole execution with that error. Default: every error.
   */
  readonly handle?: (error: unknown) => boolean;
  /** A shared budget (see retryBudget): each hedge takes one retry from it; once refused, no more hedges. */
  readonly budget?: RetryGate;
  /**
   * Let the process exit while the next hedge is pending. Default false: the hedge timer keeps a Node process
   * alive while the execution runs (it is cleared once the execution settles).
   */
  readonly unref?: boolean;
  readonly clock?: Clock;
  readonly name?: string;
}

/**
 * Runs extra copies of a slow call: when the attempt in flight has not settled after `delay`, another one starts
 * (its context has `hedge` = 1, 2...). The first success wins and the others' signals are aborted. A failed
 * attempt leaves the others running and starts the next hedge at once; the execution fails only when every
 * attempt started has failed and no more may start, with the error of the attempt that failed last.
 */
export class HedgePolicy extends PolicyBase<never, 'success' | 'failure' | 'hedge'> {
  readonly maxHedges: number;
  /** @internal */
  readonly clock: Clock;
  /** @internal */
  readonly budget: RetryGate | undefined;
  /** @internal */
  readonly timerOptions: TimerOptions | undefined;
  private readonly delay: HedgeDelay;
  private readonly handle: ((error: unknown) => boolean) | undefined;

  constructor(options: HedgeOptions) {
    super(policyName(options, 'hedge', 'delay'));
    const delay = options.delay;
    if (typeof delay !== 'function' && !(typeof delay === 'number' && delay >= 0)) {
      throw new InvalidOptionError(
        'delay',
        `expected a number >= 0 (Infinity allowed) or a function of the hedge number, got ${describe(delay)}`,
      );
    }
    this.delay = delay;
    this.maxHedges = requireInteger('maxHedges', orDefault(options.maxHedges, 1), 0);
    this.handle = optionalFunction('handle', options.handle);
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

/** One hedged attempt: its own abortable scope, and its work once started. */
class Attempt extends ScopedContext {
  declare work: Promise<unknown> | undefined;
  constructor(parent: Ctx, hedge: number) {
    super(parent, undefined, hedge);
    this.work = undefined;
  }
}

/** One hedged execution: its attempts in flight, the timer for the next hedge, and how it settles. */
class HedgeRun {
  private readonly started: number;
  /** Attempts still in flight, each in its own abortable scope. */
  private readonly running: Attempt[] = [];
  private launched = 0;
  private timer: TimerHandle | undefined = undefined;
  /** The budget refused a hedge: no more attempts start. */
  private stopped = false;
  private done = false;
  private lastError: unknown = undefined;
  private unlink: (() => void) | undefined = undefined;

  constructor(
    private readonly policy: HedgePolicy,
    private readonly parent: Ctx,
    private readonly next: Next,
    /** The slot holders around the hedge: attempts still running when it settles are left to them. */
    private readonly holders: Holders,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (reason: unknown) => void,
  ) {
    this.started = policy.clock.now();
  }

  start(firstDelay: number): void {
    // The caller's abort ends the execution at once, even if the attempts ignore their signals.
    if (this.parent.canAbort) this.unlink = this.parent.subscribe((reason) => this.finish(reason, reason));
    if (this.done) return;
    this.launch();
    if (!this.done) this.schedule(firstDelay);
  }

  private launch(): void {
    const index = this.launched++;
    if (index > 0) this.policy.emitHedge(index);
    const scope = new Attempt(this.parent, index);
    this.running.push(scope);
    let pending: unknown;
    try {
      pending = this.next(scope);
    } catch (error) {
      pending = Promise.reject(error);
    }
    const work = Promise.resolve(pending);
    scope.work = work;
    work.then(
      (value) => this.succeeded(scope, value),
      (error) => this.failed(scope, error),
    );
    // The execution settled while this attempt was starting (the caller aborted): it runs on without a caller.
    if (this.done) this.leave(work);
  }

  /** Lets the slot holders around keep their slots for an attempt that runs on after the execution settled. */
  private leave(work: Promise<unknown>): void {
    if (this.holders.length > 0) leaveBehind(work, this.parent, this.holders);
  }

  /** Starts every hedge due now (delay 0), then arms one timer for the next. */
  private schedule(delay: number): void {
    for (;;) {
      if (this.done || this.stopped || this.launched > this.policy.maxHedges) return;
      if (delay === Number.POSITIVE_INFINITY) return;
      if (delay > 0) {
        this.timer = this.policy.clock.setTimer(this.onTimer, delay, this.policy.timerOptions);
        return;
      }
      if (!this.hedgeNow()) return;
      const following = this.nextDelay();
      if (following === undefined) return;
      delay = following;
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.done || !this.hedgeNow()) return;
    const following = this.nextDelay();
    if (following !== undefined) this.schedule(following);
  };

  /** Starts the next hedge if the budget allows; false (and no more hedges) when it does not. */
  private hedgeNow(): boolean {
    const budget = this.policy.budget;
    if (budget !== undefined && !budget.tryAcquireRetry()) {
      this.stopped = true;
      return false;
    }
    this.launch();
    return !this.done;
  }

  /** The wait before the hedge after those launched; undefined (and the run failed) if the delay was bad. */
  private nextDelay(): number | undefined {
    if (this.launched > this.policy.maxHedges) return Number.POSITIVE_INFINITY;
    try {
      return this.policy.delayBefore(this.launched);
    } catch (error) {
      this.finish(error, abortedBySettle());
      return undefined;
    }
  }

  private succeeded(scope: Attempt, value: unknown): void {
    this.forget(scope);
    if (this.done) return;
    this.settle(false, value, scope);
  }

  private failed(scope: Attempt, error: unknown): void {
    this.forget(scope);
    if (this.done) return;
    if (!this.policy.handles(error)) {
      this.finish(error, abortedBySettle());
      return;
    }
    this.lastError = error;
    if (!this.stopped && this.launched <= this.policy.maxHedges) {
      // Nothing to gain from waiting out the delay: the next hedge takes over now.
      this.clearTimer();
      if (this.hedgeNow()) {
        const following = this.nextDelay();
        if (following !== undefined) this.schedule(following);
      }
    }
    if (!this.done && this.running.length === 0) this.finish(this.lastError, undefined);
  }

  /** Stops tracking an attempt that settled; its scope stops following the caller. */
  private forget(scope: Attempt): void {
    scope.release();
    const index = this.running.indexOf(scope);
    if (index >= 0) this.running.splice(index, 1);
  }

  /** Fails the execution with `error`, aborting the attempts still running with `abortReason`. */
  private finish(error: unknown, abortReason: unknown): void {
    this.settle(true, error, undefined, abortReason);
  }

  private settle(
    failed: boolean,
    outcome: unknown,
    winner: Attempt | undefined,
    abortReason?: unknown,
  ): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    const unlink = this.unlink;
    this.unlink = undefined;
    unlink?.();
    const losers = this.running.splice(0);
    if (losers.length > 0) {
      const reason = abortReason ?? lostRace();
      for (const scope of losers) {
        if (scope === winner) continue;
        scope.abort(reason);
        // An attempt still starting is left behind by launch() once its work exists.
        if (scope.work !== undefined) this.leave(scope.work);
      }
    }
    this.policy.report(failed, outcome, this.started);
    if (failed) this.reject(outcome);
    else this.resolve(outcome);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      this.policy.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }
}

/** The reason a losing attempt's signal is aborted with. */
function lostRace(): DOMException {
  return new DOMException('Another hedged attempt succeeded first', 'AbortError');
}

function abortedBySettle(): DOMException {
  return new DOMException('The hedged execution already failed', 'AbortError');
}

/**
 * Hedges slow calls: `hedge({ delay: 200, maxHedges: 1 })` starts a second attempt when the first has not
 * settled after 200 ms; the first success wins.
 */
export function hedge(options: HedgeOptions): HedgePolicy {
  return new HedgePolicy(options);
}
