import { type Clock, realClock } from './clock.js';
import { TimeoutError } from './errors.js';
import { type Ctx, ScopedContext } from './internal/context.js';
import { type DeadlineEntry, DeadlineQueue } from './internal/deadline-queue.js';
import { requireOneOf, requirePositive } from './internal/validate.js';
import { type Next, PolicyBase, RUN } from './policy.js';

export type TimeoutStrategy = 'aggressive' | 'cooperative';

export interface TimeoutOptions {
  /**
   * 'aggressive' (default): at the deadline, reject with TimeoutError and abort the context signal without
   * waiting for the function. 'cooperative': abort the signal and wait for the function to settle.
   */
  readonly strategy?: TimeoutStrategy;
  readonly clock?: Clock;
  readonly name?: string;
}

/**
 * One execution under a timeout. Once the function settles, the entry leaves the queue and the scope stops
 * following the caller's signal: the signal the function got is never aborted after it returned (streams survive).
 */
class TimeoutRun extends ScopedContext implements DeadlineEntry {
  prev: DeadlineEntry | undefined = undefined;
  next: DeadlineEntry | undefined = undefined;
  queued = false;
  timedOut = false;
  settled = false;
  resolveOuter: ((value: unknown) => void) | undefined = undefined;
  rejectOuter: ((reason: unknown) => void) | undefined = undefined;

  constructor(
    parent: Ctx,
    readonly policy: TimeoutPolicy,
    public due: number,
  ) {
    super(parent, due);
  }

  expire(): void {
    if (this.settled) return;
    this.timedOut = true;
    const error = new TimeoutError(this.policy.timeoutMs);
    this.policy.emitTimeout();
    this.abort(error);
  }

  override abort(reason: unknown): void {
    if (this.aborted) return;
    super.abort(reason);
    // Aggressive: the caller learns at once; the function's eventual outcome is ignored.
    const reject = this.rejectOuter;
    if (reject !== undefined) {
      this.policy.reportFailure(this, reason);
      this.finish(undefined, reject, reason);
    }
  }

  finish(
    resolve: ((value: unknown) => void) | undefined,
    reject: ((reason: unknown) => void) | undefined,
    value: unknown,
  ) {
    if (this.settled) return;
    this.settled = true;
    this.policy.queue.remove(this);
    this.release();
    if (resolve) resolve(value);
    else reject!(value);
  }
}

export class TimeoutPolicy extends PolicyBase<never> {
  readonly strategy: TimeoutStrategy;
  /** @internal */
  readonly queue: DeadlineQueue;
  private readonly clock: Clock;

  constructor(
    readonly timeoutMs: number,
    options: TimeoutOptions = {},
  ) {
    super(options.name ?? 'timeout');
    requirePositive('timeout', timeoutMs, true);
    this.strategy = requireOneOf('strategy', options.strategy ?? 'aggressive', ['aggressive', 'cooperative']);
    this.clock = options.clock ?? realClock;
    this.queue = new DeadlineQueue(this.clock);
  }

  /** @internal */
  emitTimeout(): void {
    if (this.listens('timeout'))
      this.events.emit('timeout', { policy: this.name, timeoutMs: this.timeoutMs });
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    if (this.timeoutMs === Number.POSITIVE_INFINITY) return Promise.resolve().then(() => next(context));
    const run = new TimeoutRun(context, this, this.clock.now() + this.timeoutMs);
    if (run.aborted) return Promise.reject(run.reason);
    this.queue.add(run);
    return this.strategy === 'aggressive' ? this.runAggressive(run, next) : this.runCooperative(run, next);
  }

  private runAggressive(run: TimeoutRun, next: Next): Promise<unknown> {
    let pending: unknown;
    try {
      pending = next(run);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      if (run.aborted) {
        // Aborted synchronously while starting: still observe the function's promise so it cannot go unhandled.
        Promise.resolve(pending).catch(noop);
        run.finish(undefined, reject, run.reason);
        return;
      }
      run.rejectOuter = reject;
      Promise.resolve(pending).then(
        (value) => {
          this.report(run, false, undefined);
          run.finish(resolve, undefined, value);
        },
        (error) => {
          this.report(run, true, error);
          run.finish(undefined, reject, error);
        },
      );
    });
  }

  private async runCooperative(run: TimeoutRun, next: Next): Promise<unknown> {
    try {
      const value = await next(run);
      this.report(run, false, undefined);
      return value;
    } catch (error) {
      this.report(run, true, error);
      // Once the deadline or the caller aborted the scope, the function's error is the consequence, not the cause.
      if (run.aborted) {
        if (run.timedOut) throw new TimeoutError(this.timeoutMs, { cause: error });
        throw run.reason;
      }
      throw error;
    } finally {
      run.settled = true;
      this.queue.remove(run);
      run.release();
    }
  }

  /** @internal */
  reportFailure(run: TimeoutRun, error: unknown): void {
    this.report(run, true, error);
  }

  private report(run: TimeoutRun, failed: boolean, error: unknown): void {
    if (run.settled) return;
    if (!failed) {
      if (this.listens('success'))
        this.events.emit('success', { policy: this.name, duration: this.elapsed(run) });
    } else if (this.listens('failure')) {
      this.events.emit('failure', { policy: this.name, error, duration: this.elapsed(run) });
    }
  }

  private elapsed(run: TimeoutRun): number {
    return this.clock.now() - (run.due - this.timeoutMs);
  }
}

const noop = (): void => {};

/** Bounds an execution to `ms`, aborting the context signal at the deadline. */
export function timeout(ms: number, options?: TimeoutOptions): TimeoutPolicy {
  return new TimeoutPolicy(ms, options);
}
