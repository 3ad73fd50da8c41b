import type { TimerHandle } from '../clock.js';
import { type Ctx, ScopedContext } from '../internal/context.js';
import { type Holders, leaveBehind } from '../internal/slot-holders.js';
import type { Next } from '../policy.js';
import type { HedgePolicy } from './hedge.js';

/** One hedged attempt: its own abortable scope, and its work once started. */
class Attempt extends ScopedContext {
  declare work: Promise<unknown> | undefined;
  /** When it started (read only when the policy observes latencies). */
  declare startedAt: number;
  constructor(parent: Ctx, hedge: number, startedAt: number) {
    super(parent, undefined, hedge);
    this.work = undefined;
    this.startedAt = startedAt;
  }
}

/**
 * One hedged execution: its attempts in flight, the timer for the next hedge, and how it settles. The policy
 * (hedge.ts) holds the options and starts one per call.
 */
export class HedgeRun {
  declare private readonly started: number;
  /** Attempts still in flight, each in its own abortable scope. */
  private readonly running: Attempt[] = [];
  private launched = 0;
  private timer: TimerHandle | undefined = undefined;
  /** The budget refused a hedge: no more attempts start. */
  private stopped = false;
  private done = false;
  /** The outcome of the attempt that failed last (an error, or a result handleResult rejected). */
  private lastOutcome: unknown = undefined;
  private lastWasError = true;
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
    this.schedule(firstDelay);
  }

  private launch(): void {
    const index = this.launched++;
    if (index > 0) this.policy.emitHedge(index);
    // The primary starts with the run; a hedge's start is read only when latencies are observed.
    const startedAt =
      index === 0 || this.policy.latencies === undefined ? this.started : this.policy.clock.now();
    const scope = new Attempt(this.parent, index, startedAt);
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

  /**
   * Starts every hedge due now (delay 0), then arms one timer for the next. Called only after a hedge could
   * start (the budget did not refuse), with Infinity once every hedge started or the run failed.
   */
  private schedule(delay: number): void {
    for (;;) {
      if (this.done || delay === Number.POSITIVE_INFINITY) return;
      if (delay > 0) {
        this.timer = this.policy.clock.setTimer(this.onTimer, delay, this.policy.timerOptions);
        return;
      }
      if (!this.hedgeNow()) return;
      delay = this.nextDelay();
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.done || !this.hedgeNow()) return;
    this.schedule(this.nextDelay());
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

  /** The wait before the hedge after those launched; Infinity once all started, or (the run failed) if it was bad. */
  private nextDelay(): number {
    if (this.launched > this.policy.maxHedges) return Number.POSITIVE_INFINITY;
    try {
      return this.policy.delayBefore(this.launched);
    } catch (error) {
      this.finish(error, abortedBySettle());
      return Number.POSITIVE_INFINITY;
    }
  }

  private succeeded(scope: Attempt, value: unknown): void {
    this.forget(scope);
    if (this.done) return;
    const policy = this.policy;
    if (policy.handleResult !== undefined) {
      let rejected: boolean;
      try {
        rejected = policy.handleResult(value);
      } catch (error) {
        this.finish(error, abortedBySettle());
        return;
      }
      if (rejected) {
        this.attemptFailed(value, false);
        return;
      }
    }
    if (policy.latencies !== undefined) policy.latencies.record(policy.clock.now() - scope.startedAt);
    this.settle(false, value);
  }

  private failed(scope: Attempt, error: unknown): void {
    this.forget(scope);
    if (this.done) return;
    if (!this.policy.handles(error)) {
      this.finish(error, abortedBySettle());
      return;
    }
    this.attemptFailed(error, true);
  }

  /** An attempt failed (or its result counts as a failure): the others carry on and the next hedge starts now. */
  private attemptFailed(outcome: unknown, isError: boolean): void {
    this.lastOutcome = outcome;
    this.lastWasError = isError;
    if (!this.stopped && this.launched <= this.policy.maxHedges) {
      // Nothing to gain from waiting out the delay: the next hedge takes over now.
      this.clearTimer();
      if (this.hedgeNow()) this.schedule(this.nextDelay());
    }
    if (!this.done && this.running.length === 0) this.settle(this.lastWasError, this.lastOutcome);
  }

  /** Stops tracking an attempt that settled; its scope stops following the caller. */
  private forget(scope: Attempt): void {
    scope.release();
    const index = this.running.indexOf(scope);
    if (index >= 0) this.running.splice(index, 1);
  }

  /** Fails the execution with `error`, aborting the attempts still running with `abortReason`. */
  private finish(error: unknown, abortReason: unknown): void {
    this.settle(true, error, abortReason);
  }

  /** The winner of a success is no longer among the attempts running (forget() took it out), so all are losers. */
  private settle(failed: boolean, outcome: unknown, abortReason?: unknown): void {
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
