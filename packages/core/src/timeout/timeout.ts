import type { Clock } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { type Ctx, noop, ScopedContext } from '../internal/context.js';
import { type DeadlineBucket, type DeadlineEntry, DeadlineQueue } from '../internal/deadline-queue.js';
import { type Holders, leaveBehind, NO_HOLDERS } from '../internal/slot-holders.js';
import { unrefOption } from '../internal/timer-options.js';
import { isThenable } from '../internal/thenable.js';
import {
  clockOf,
  optionalBoolean,
  orDefault,
  policyName,
  requireFiniteNonNegative,
  requireOneOf,
  requirePositive,
} from '../internal/validate.js';
import { type Next, PolicyBase, RUN } from '../policy.js';

/**
 * 'aggressive': reject at the deadline without waiting for the function; 'cooperative': abort its signal and wait for
 * it to settle.
 */
export type TimeoutStrategy = 'aggressive' | 'cooperative';

/** Options of {@link timeout}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface TimeoutOptions {
  /**
   * 'aggressive' (default): at the deadline, reject with TimeoutError and abort the context signal without
   * waiting for the function. 'cooperative': abort the signal and wait for the function to settle.
   */
  readonly strategy?: TimeoutStrategy;
  /**
   * How late (ms) a deadline may fire so that calls can share timers and clock reads. Default: 1% of the
   * timeout, between 1 and 20 ms. 0 reads the clock for every call and fires exactly on time (a call overlapping no
   * other then arms a timer of its own). At most a tenth of
   * the timeout (at least 1 ms) and at most 1 s: a larger value is lowered to that (`policy.resolution` tells).
   */
  readonly resolution?: number;
  /**
   * Let the process exit while a deadline is pending. Default false: the deadline timer keeps a Node process alive
   * while a call waits for it (so a timeout fires even when nothing else runs), and never once every call settled.
   */
  readonly unref?: boolean;
  /**
   * Abort the signal the function got as soon as it settles (cockatiel's `abortOnReturn`), with an `AbortError`
   * `DOMException` as the reason: work the function started and left running on that signal (a request it did not
   * await, a sub-task) is cancelled with it. Default false, because it would also cut what the function *returns*
   * that still reads from the signal: a stream, a response body read after `execute` resolved.
   */
  readonly abortOnReturn?: boolean;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'timeout'`. */
  readonly name?: string;
}

type Settle = (value: unknown) => void;

/**
 * One execution under a timeout. Once the function settles, the entry leaves the queue and the scope stops
 * following the caller's signal: the signal the function got is never aborted after it returned (streams survive).
 * When an aggressive run answers its caller first (deadline, caller abort), the function's work is left to the
 * slot holders around the timeout, which keep their slots until it settles.
 */
class TimeoutRun extends ScopedContext implements DeadlineEntry {
  // Assigned in the constructor rather than by field initializers: fewer stores per call.
  declare prev: DeadlineEntry | undefined;
  declare next: DeadlineEntry | undefined;
  declare bucket: DeadlineBucket | undefined;
  declare timedOut: boolean;
  /** Aggressive: the outer promise was settled (cooperative runs do not use it). */
  declare settled: boolean;
  declare started: number;
  /** Set in aggressive mode: settles the promise the caller holds. */
  declare resolveOuter: Settle | undefined;
  declare rejectOuter: Settle | undefined;
  declare readonly policy: TimeoutPolicy;
  /** The slot holders around this timeout in its composition. */
  declare readonly holders: Holders;
  /** Aggressive: what the function returned, until it settles (a thenable still running). */
  declare pending: PromiseLike<unknown> | undefined;

  constructor(parent: Ctx, policy: TimeoutPolicy, due: number, holders: Holders) {
    super(parent, due);
    this.prev = undefined;
    this.next = undefined;
    this.bucket = undefined;
    this.timedOut = false;
    this.settled = false;
    this.started = 0;
    this.resolveOuter = undefined;
    this.rejectOuter = undefined;
    this.policy = policy;
    this.holders = holders;
    this.pending = undefined;
  }

  /** Only called on a run still in the queue: settling or aborting a run takes it out of the queue first. */
  expire(): void {
    this.timedOut = true;
    this.policy.emitTimeout();
    this.abort(new TimeoutError(this.policy.timeoutMs));
  }

  /**
   * Runs its part once: a second call (a cooperative run's abortOnReturn after its timeout) finds super.abort
   * done and the run out of the queue; an aggressive run is aborted once (its parent is released first, and
   * abortOnReturn checks `aborted`).
   */
  override abort(reason: unknown): void {
    super.abort(reason);
    if (this.rejectOuter !== undefined) {
      // Aggressive: the caller learns at once; the function's eventual outcome is observed but ignored, and its
      // work is left to the slot holders around.
      this.settle(true, reason);
      // Once: a run aborts once, and a function that settles later goes through done(), not here.
      if (this.pending !== undefined) this.leave(this.pending);
    }
    // Cooperative: the deadline can no longer change anything for a scope that has aborted.
    else this.policy.queue.remove(this);
  }

  /** The caller was answered while the function still runs: observe it and let the holders around wait for it. */
  leave(pending: PromiseLike<unknown>): void {
    const work = Promise.resolve(pending);
    work.then(undefined, noop);
    if (this.holders.length > 0) leaveBehind(work, this.parent, this.holders);
  }

  /** The function settled (aggressive): settles the outer promise unless the caller was answered already. */
  done(failed: boolean, value: unknown): void {
    this.pending = undefined;
    this.settle(failed, value);
  }

  /** Settles the aggressive outer promise once, and detaches from the queue and the parent. */
  settle(failed: boolean, value: unknown): void {
    if (this.settled) return;
    this.policy.report(this, failed, value);
    this.settled = true;
    this.policy.queue.remove(this);
    this.release();
    if (this.policy.abortOnReturn && !this.aborted) this.abort(returned());
    if (failed) this.rejectOuter!(value);
    else this.resolveOuter!(value);
  }
}

/** Lets `new Promise` hand its settle functions to a run without allocating an executor closure per call. */
let capturing: TimeoutRun | undefined;
function captureSettlers(resolve: Settle, reject: Settle): void {
  capturing!.resolveOuter = resolve;
  capturing!.rejectOuter = reject;
}

export class TimeoutPolicy extends PolicyBase<never, 'success' | 'failure' | 'timeout'> {
  /** 'aggressive' or 'cooperative': {@link TimeoutOptions.strategy} (default 'aggressive'). */
  declare readonly strategy: TimeoutStrategy;
  /** How late a deadline may fire (ms), after clamping: {@link TimeoutOptions.resolution}. */
  declare readonly resolution: number;
  /** Whether the function's signal aborts once it settles: {@link TimeoutOptions.abortOnReturn} (default false). */
  declare readonly abortOnReturn: boolean;
  /** @internal */
  declare readonly queue: DeadlineQueue;
  declare private readonly clock: Clock;

  constructor(
    /** The timeout (ms): the deadline of each execution, from its start. */
    readonly timeoutMs: number,
    options: TimeoutOptions = {},
  ) {
    super(policyName(options, 'timeout'));
    requirePositive('timeout', timeoutMs, true);
    this.strategy = requireOneOf('strategy', orDefault(options.strategy, 'aggressive'), [
      'aggressive',
      'cooperative',
    ]);
    this.resolution = Math.min(
      requireFiniteNonNegative(
        'resolution',
        orDefault(options.resolution, Math.min(20, Math.max(1, Math.floor(timeoutMs / 100)))),
      ),
      maxResolution(timeoutMs),
    );
    this.abortOnReturn = optionalBoolean('abortOnReturn', options.abortOnReturn) === true;
    this.clock = clockOf(options.clock);
    this.queue = new DeadlineQueue(this.clock, timeoutMs, this.resolution, unrefOption(options.unref));
  }

  [RUN](context: Ctx, next: Next, holders: Holders = NO_HOLDERS): Promise<unknown> {
    if (this.timeoutMs === Number.POSITIVE_INFINITY) return Promise.resolve().then(() => next(context));
    const due = this.queue.reserve();
    const run = new TimeoutRun(context, this, due, holders);
    if (run.aborted) return Promise.reject(run.reason);
    if (this.listens('success') || this.listens('failure')) run.started = this.clock.now();
    this.queue.add(run, due);
    return this.strategy === 'aggressive' ? this.runAggressive(run, next) : this.runCooperative(run, next);
  }

  private runAggressive(run: TimeoutRun, next: Next): Promise<unknown> {
    capturing = run;
    const outer = new Promise(captureSettlers);
    capturing = undefined;
    let pending: unknown;
    try {
      pending = next(run);
    } catch (error) {
      run.settle(true, error);
      return outer;
    }
    if (!isThenable(pending)) {
      run.settle(false, pending);
    } else if (run.settled) {
      // Timed out or aborted while starting: the caller has its answer, the function runs on.
      run.leave(pending);
    } else {
      run.pending = pending;
      pending.then(
        (value) => run.done(false, value),
        (error) => run.done(true, error),
      );
    }
    return outer;
  }

  private async runCooperative(run: TimeoutRun, next: Next): Promise<unknown> {
    try {
      const value = await next(run);
      this.report(run, false, value);
      return value;
    } catch (error) {
      // Once the deadline or the caller aborted the scope, the function's error is the consequence, not the cause.
      const final = run.aborted
        ? run.timedOut
          ? new TimeoutError(this.timeoutMs, { cause: error })
          : run.reason
        : error;
      this.report(run, true, final);
      throw final;
    } finally {
      this.queue.remove(run);
      run.release();
      if (this.abortOnReturn) run.abort(returned());
    }
  }

  /** @internal */
  emitTimeout(): void {
    if (this.listens('timeout'))
      this.events.emit('timeout', { policy: this.name, timeoutMs: this.timeoutMs });
  }

  /**
   * @internal Emits success/failure for a run, once: `settle` reports only a run not settled yet, and a
   * cooperative run is reported by runCooperative alone.
   */
  report(run: TimeoutRun, failed: boolean, value: unknown): void {
    if (failed) this.reportFailure(this.clock, value, run.started);
    else this.reportSuccess(this.clock, run.started);
  }
}

/** Longest resolution: late by a tenth of the timeout at most (1 ms at least), and never by more than 1 s. */
const RESOLUTION_CAP = 1_000;
function maxResolution(timeoutMs: number): number {
  return Math.min(RESOLUTION_CAP, Math.max(1, timeoutMs / 10));
}

/** The reason an `abortOnReturn` signal aborts with. */
function returned(): DOMException {
  return new DOMException('The function returned (abortOnReturn)', 'AbortError');
}

/**
 * Bounds an execution to `ms`, aborting the context signal at the deadline.
 * @throws {@link InvalidOptionError} when `ms` is not a positive number or an option is invalid.
 */
export function timeout(ms: number, options?: TimeoutOptions): TimeoutPolicy {
  return new TimeoutPolicy(ms, options);
}
