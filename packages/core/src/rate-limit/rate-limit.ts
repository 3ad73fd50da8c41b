import type { Clock, TimerOptions } from '../clock.js';
import { InvalidOptionError, RateLimitedError } from '../errors.js';
import { type Ctx, type ExecutionContext, RootContext } from '../internal/context.js';
import { unrefOption } from '../internal/timer-options.js';
import {
  clockOf,
  describe,
  orDefault,
  policyName,
  requireMethods,
  requireNonNegativeOrInfinity,
  requireOneOf,
} from '../internal/validate.js';
import {
  callTask,
  type ExecuteOptions,
  type Next,
  PolicyBase,
  RUN,
  startExecution,
  type Task,
} from '../policy.js';
import { type Cost, checkCost, costsFor } from './cost.js';
import { type CallInfo, callInfoOf, type Grant, type GrantOwner, tagged } from './costed-task.js';
import { checkLimit, type RateLimit } from './limits.js';
import { MemoryRateLimitStore } from './memory-store.js';
import {
  ADMITTED,
  type AcquireResult,
  type Denied,
  type RateLimitScope,
  type RateLimitStore,
  scopeOf,
} from './store.js';
import { TIME_EPSILON } from './state.js';
import { Waitlist } from './waitlist.js';

export type RateLimitMode = 'wait' | 'reject';

export interface RateLimitOptions {
  /** One limit or several; an execution is admitted only when every limit admits it (all or nothing). */
  readonly limits: RateLimit | readonly RateLimit[];
  /** 'wait' (default): wait in FIFO order up to maxWait. 'reject': refuse at once with RateLimitedError. */
  readonly mode?: RateLimitMode;
  /** Longest wait accepted in 'wait' mode (ms, >= 0 or Infinity); a longer one is refused at once. Default 60 000. */
  readonly maxWait?: number;
  /** Cost of an execution when the call does not bring its own (withCost). A function is asked per call. Default 1. */
  readonly cost?: Cost | ((context: ExecutionContext) => Cost);
  /** The key whose limits an execution counts against (per model, per tenant...). Default: one shared key. */
  readonly key?: string | ((context: ExecutionContext) => string | undefined);
  /** Where usage lives. Default: a private in-memory store. */
  readonly store?: RateLimitStore;
  /**
   * Let the process exit while calls wait for admission. Default false: the timer of a key's first waiter keeps a
   * Node process alive until it is admitted or refused; no timer is left once nobody waits.
   */
  readonly unref?: boolean;
  readonly clock?: Clock;
  readonly name?: string;
}

export interface RateLimitExecuteOptions extends ExecuteOptions {
  /** This call's cost (overrides the `cost` option). */
  readonly cost?: Cost;
  /** This call's key (overrides the `key` option). */
  readonly key?: string;
}

export interface PauseOptions {
  /** Pause one key only. Default: every key. */
  readonly key?: string;
}

const STORE_METHODS = ['acquire', 'adjust', 'pause', 'read'] as const;

/** The key used when none is given; reported as undefined in errors and events. */
const SHARED_KEY = '';

/** What the limiter decided to take for one call. */
interface Call {
  readonly key: string;
  readonly costs: readonly number[];
  readonly info: CallInfo | undefined;
}

/** Admits executions under one or more rate limits, waiting (FIFO, bounded) or refusing when they are used up. */
export class RateLimitPolicy extends PolicyBase<never> implements GrantOwner {
  readonly limits: readonly RateLimit[];
  readonly mode: RateLimitMode;
  readonly maxWait: number;
  readonly store: RateLimitStore;
  /** The limits as the store knows them (limiters with equal limits share usage in a shared store). */
  readonly scope: RateLimitScope;
  readonly clock: Clock;
  /** @internal How the waitlist arms its timers. */
  readonly timerOptions: TimerOptions | undefined;
  private readonly costOption: ((context: ExecutionContext) => Cost) | undefined;
  private readonly keyOption: ((context: ExecutionContext) => string | undefined) | undefined;
  private readonly fixedKey: string;
  private readonly fixedCosts: readonly number[];
  /** True when the cost or key comes from a function, asked per call. */
  private readonly perCall: boolean;
  private readonly waitlist: Waitlist;

  constructor(options: RateLimitOptions) {
    super(policyName(options, 'rateLimit', 'limits'));
    const given = options.limits;
    if (given === undefined || given === null || (Array.isArray(given) && given.length === 0)) {
      throw new InvalidOptionError(
        'limits',
        `expected a limit (tokenBucket, smooth, slidingWindow) or a non-empty array of them, got ${describe(given)}`,
      );
    }
    const limits = Array.isArray(given) ? given : [given];
    this.limits = Object.freeze(limits.map(checkLimit));
    this.mode = requireOneOf('mode', orDefault(options.mode, 'wait'), ['wait', 'reject']);
    this.maxWait = requireNonNegativeOrInfinity('maxWait', orDefault(options.maxWait, 60_000));
    const cost = orDefault<RateLimitOptions['cost']>(options.cost, 1);
    if (typeof cost === 'function') {
      this.costOption = cost;
      this.fixedCosts = [];
    } else {
      // Not frozen: V8 reads frozen arrays markedly slower, and this one is read on every call.
      this.fixedCosts = costsFor(this.limits, checkCost(cost), true);
    }
    const key = options.key;
    if (typeof key === 'function') this.keyOption = key;
    else if (key !== undefined && typeof key !== 'string') {
      throw new InvalidOptionError('key', `expected a string or a function, got ${describe(key)}`);
    }
    this.fixedKey = typeof key === 'string' ? key : SHARED_KEY;
    this.perCall = this.costOption !== undefined || this.keyOption !== undefined;
    this.store =
      options.store === undefined
        ? new MemoryRateLimitStore()
        : requireMethods<RateLimitStore>('store', options.store, STORE_METHODS, 'a RateLimitStore');
    // An unfrozen copy for the stores' hot path (see fixedCosts); `limits` stays frozen for users.
    this.scope = scopeOf([...this.limits]);
    this.clock = clockOf(options.clock);
    this.timerOptions = unrefOption(options.unref);
    this.waitlist = new Waitlist(this);
  }

  /** Callers waiting for admission (for one key, or in total). */
  waiting(key?: string): number {
    return this.waitlist.waiting(key);
  }

  /** Runs `fn` under the limits; `options.cost` and `options.key` apply to this call only. */
  override execute<R>(fn: Task<R>, options?: RateLimitExecuteOptions): Promise<R> {
    let task: Task<R> = fn;
    if (
      typeof options === 'object' &&
      options !== null &&
      (options.cost !== undefined || options.key !== undefined)
    ) {
      try {
        task = tagged(fn, options.cost, options.key);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const context = startExecution(task, options);
    if (!(context instanceof RootContext)) return Promise.reject(context);
    if (context.aborted) return Promise.reject(context.reason);
    return context.finish(this[RUN](context, callTask) as Promise<R>);
  }

  /**
   * Server feedback (a 429 with a retry delay): admits nobody (waiting or new, for `key` or every key) for `ms`,
   * so concurrent callers do not each run into the same 429. Waiters that can no longer start within their
   * maxWait or deadline are refused at once. A shorter pause never cuts a longer one short.
   */
  pause(ms: number, options?: PauseOptions): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new InvalidOptionError('pause', `expected a finite number of ms >= 0, got ${describe(ms)}`);
    }
    const key = options?.key;
    if (key !== undefined && typeof key !== 'string') {
      throw new InvalidOptionError('key', `expected a string, got ${describe(key)}`);
    }
    const now = this.clock.now();
    if (this.listens('paused')) this.events.emit('paused', { policy: this.name, duration: ms, key });
    return this.afterStore(this.store.pause(this.scope, key, now + ms, now), key);
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    if (this.perCall || callInfoOf(context.task) !== undefined) return this.runCall(context, next);
    // The common case, kept lean: fixed key and cost, nobody waiting, admitted by the store at once.
    const now = this.clock.now();
    const key = this.fixedKey;
    if (this.waitlist.keys !== 0 && this.waitlist.has(key)) {
      return this.queue(context, next, key, this.fixedCosts, undefined, now);
    }
    let result: AcquireResult | PromiseLike<AcquireResult>;
    try {
      result = this.store.acquire(this.scope, key, this.fixedCosts, now, undefined);
    } catch (error) {
      this.reportFailure(this.clock, error, now);
      return Promise.reject(error);
    }
    if (result !== ADMITTED)
      return this.decide(context, next, key, this.fixedCosts, undefined, now, undefined, result);
    return this.run(context, next, now);
  }

  /** A call whose key or cost is its own (a function option, withCost, execute options). */
  private runCall(context: Ctx, next: Next): Promise<unknown> {
    let call: Call;
    try {
      call = this.resolve(context);
    } catch (error) {
      this.reportFailure(this.clock, error, undefined);
      return Promise.reject(error);
    }
    const { key, costs, info } = call;
    const now = this.clock.now();
    if (this.waitlist.keys !== 0 && this.waitlist.has(key))
      return this.queue(context, next, key, costs, info, now);
    const marks = info === undefined ? undefined : new Array<number>(costs.length);
    let result: AcquireResult | PromiseLike<AcquireResult>;
    try {
      result = this.store.acquire(this.scope, key, costs, now, marks);
    } catch (error) {
      this.reportFailure(this.clock, error, now);
      return Promise.reject(error);
    }
    return this.decide(context, next, key, costs, info, now, marks, result);
  }

  /** Acts on the store's answer: run, queue, refuse, or wait for an asynchronous store. */
  private decide(
    context: Ctx,
    next: Next,
    key: string,
    costs: readonly number[],
    info: CallInfo | undefined,
    now: number,
    marks: number[] | undefined,
    result: AcquireResult | PromiseLike<AcquireResult>,
  ): Promise<unknown> {
    if ((result as AcquireResult).admitted === true) {
      if (info !== undefined) info.record(this.grant(key, costs, marks!, now));
      return this.run(context, next, now);
    }
    if ((result as AcquireResult).admitted === false) {
      return this.onDenied(context, next, key, costs, info, now, result as Denied);
    }
    return this.acquired(context, next, key, costs, info, now, marks, result as PromiseLike<AcquireResult>);
  }

  /** @internal Corrects an admission made for a withCost task. */
  settleGrant(grant: Grant, actual: Cost | undefined): Promise<void> {
    try {
      const costs = costsFor(this.limits, actual, false);
      let changed = false;
      const deltas = costs.map((c, i) => {
        const delta = c - grant.costs[i]!;
        if (delta !== 0) changed = true;
        return delta;
      });
      if (!changed) return Promise.resolve();
      const now = this.clock.now();
      const done = this.store.adjust(this.scope, grant.key, deltas, grant.marks, grant.costs, grant.at, now);
      return this.afterStore(done, grant.key);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** @internal Waitlist hook. */
  onQueued(key: string, delay: number, position: number): void {
    if (this.listens('queued')) {
      this.events.emit('queued', { policy: this.name, delay: ceilMs(delay), position, key: publicKey(key) });
    }
  }

  /** @internal Waitlist hook: the error (reported as `rejected`) for a call that cannot be admitted in time. */
  refuse(key: string, retryAfterMs: number, limit: number): Error {
    return this.refusal(key, retryAfterMs, limit);
  }

  private resolve(context: Ctx): Call {
    const info = callInfoOf(context.task);
    let key = info?.key;
    if (key === undefined && this.keyOption !== undefined) {
      key = this.keyOption(context);
      if (key !== undefined && typeof key !== 'string') {
        throw new InvalidOptionError('key', `the key function returned ${describe(key)}, expected a string`);
      }
    }
    let costs = this.fixedCosts;
    if (info?.cost !== undefined) costs = costsFor(this.limits, info.cost, true);
    else if (this.costOption !== undefined)
      costs = costsFor(this.limits, checkCost(this.costOption(context)), true);
    return { key: key ?? this.fixedKey, costs, info };
  }

  private run(context: Ctx, next: Next, started: number): Promise<unknown> {
    if (this.listens('success') || this.listens('failure'))
      return this.runReported(context, next, this.clock, started);
    try {
      return Promise.resolve(next(context));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private onDenied(
    context: Ctx,
    next: Next,
    key: string,
    costs: readonly number[],
    info: CallInfo | undefined,
    now: number,
    result: Denied,
  ): Promise<unknown> {
    // Refused now when it cannot start in time: never after waiting.
    if (this.mode === 'reject' || now + result.retryAfterMs > this.latestStart(context, now) + TIME_EPSILON) {
      return Promise.reject(this.refusal(key, result.retryAfterMs, result.limit));
    }
    return this.queue(context, next, key, costs, info, now);
  }

  private async acquired(
    context: Ctx,
    next: Next,
    key: string,
    costs: readonly number[],
    info: CallInfo | undefined,
    started: number,
    marks: number[] | undefined,
    pending: PromiseLike<AcquireResult>,
  ): Promise<unknown> {
    let result: AcquireResult;
    try {
      result = await pending;
    } catch (error) {
      this.reportFailure(this.clock, error, started);
      throw error;
    }
    if (!result.admitted) return this.onDenied(context, next, key, costs, info, started, result);
    // The store recorded the admission at `started`, the time it was asked with.
    if (context.aborted) {
      this.giveBack(key, costs, marks ?? [], started);
      this.reportFailure(this.clock, context.reason, started);
      throw context.reason;
    }
    if (info !== undefined) info.record(this.grant(key, costs, marks!, started));
    return this.run(context, next, started);
  }

  private async queue(
    context: Ctx,
    next: Next,
    key: string,
    costs: readonly number[],
    info: CallInfo | undefined,
    started: number,
  ): Promise<unknown> {
    const marks = new Array<number>(costs.length);
    let at: number;
    try {
      at = await this.waitlist.join(key, costs, this.latestStart(context, started), context, marks);
    } catch (error) {
      // Refusals were reported as `rejected`; an abort (or a store failure) ends the execution as a failure.
      if (!isRefusal(error)) this.reportFailure(this.clock, error, started);
      throw error;
    }
    if (context.aborted) {
      // Admitted, but the caller left before running: the usage goes back.
      this.giveBack(key, costs, marks, at);
      this.reportFailure(this.clock, context.reason, started);
      throw context.reason;
    }
    if (info !== undefined) info.record(this.grant(key, costs, marks, at));
    return this.run(context, next, started);
  }

  /** @internal Gives back an admission that never ran. */
  giveBack(key: string, costs: readonly number[], marks: readonly number[], at: number): void {
    const deltas = costs.map((c) => -c);
    try {
      const done = this.store.adjust(this.scope, key, deltas, marks, costs, at, this.clock.now());
      if (typeof (done as PromiseLike<void> | undefined)?.then === 'function') {
        (done as PromiseLike<void>).then(
          () => this.waitlist.invalidate(key),
          () => {},
        );
        return;
      }
    } catch {
      // Best effort: the usage then simply expires.
      return;
    }
    this.waitlist.invalidate(key);
  }

  private afterStore(done: void | PromiseLike<void>, key: string | undefined): Promise<void> {
    if (typeof (done as PromiseLike<void> | undefined)?.then === 'function') {
      return Promise.resolve(done as PromiseLike<void>).then(() => this.waitlist.invalidate(key));
    }
    this.waitlist.invalidate(key);
    return Promise.resolve();
  }

  private grant(key: string, costs: readonly number[], marks: readonly number[], at: number): Grant {
    return { owner: this, key, at, costs, marks };
  }

  /** Latest acceptable admission time: maxWait from now, and never past the caller's deadline. */
  private latestStart(context: Ctx, now: number): number {
    const byWait = now + this.maxWait;
    const deadline = context.deadline;
    return deadline !== undefined && deadline < byWait ? deadline : byWait;
  }

  private refusal(key: string, retryAfterMs: number, limit: number): RateLimitedError {
    const wait = ceilMs(retryAfterMs);
    const name = limit >= 0 ? this.limits[limit]!.name : limit === -1 ? 'paused' : undefined;
    const error = new RateLimitedError(wait, { limit: name, key: publicKey(key) });
    REFUSALS.add(error);
    if (this.listens('rejected')) {
      this.events.emit('rejected', {
        policy: this.name,
        reason: 'rateLimited',
        retryAfterMs: wait,
        key: publicKey(key),
      });
    }
    return error;
  }
}

/** Refusals made by limiters, so a waiter's refusal is not reported twice. */
const REFUSALS = new WeakSet<object>();

function isRefusal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && REFUSALS.has(error);
}

function publicKey(key: string): string | undefined {
  return key === SHARED_KEY ? undefined : key;
}

/** Waits are reported in whole milliseconds, rounded up: trying again after that long is never too early. */
function ceilMs(ms: number): number {
  return Math.max(0, Math.ceil(ms - TIME_EPSILON));
}

/**
 * Limits how often executions run: token bucket, smooth (GCRA) and sliding-window limits, several at once,
 * weighted costs, per-key limits, FIFO waiting or rejection, and server feedback (pause, reconcile).
 */
export function rateLimit(options: RateLimitOptions): RateLimitPolicy {
  return new RateLimitPolicy(options);
}
