// Above ~300 lines on purpose: this file has one job, the admission of a call (ask the store, then run, queue,
// refuse, or await an asynchronous store's answer), and its methods are the steps of that one decision, kept
// together so the hot path (`[RUN]` -> `run`) reads in one place. Everything else is in its own module: options
// (options.ts), the store contract (store.ts), waiting (waitlist.ts), corrections (corrections.ts), a call's key and
// cost (call.ts, costed-task.ts), the checks of new limits (relimit.ts). setLimits stays here because it swaps the
// very fields the admission reads.
import type { Clock } from '../clock.js';
import { InvalidOptionError, RateLimitedError } from '../errors.js';
import type { Ctx } from '../internal/context.js';
import { RootContext } from '../internal/root-context.js';
import { describe } from '../internal/validate.js';
import { callTask, type Next, PolicyBase, RUN, startExecution, type Task } from '../policy.js';
import { type Call, resolveCall, withCallOptions } from './call.js';
import { RateLimitCostError } from './cost.js';
import { callInfoOf } from './costed-task.js';
import { checkRelimit } from './relimit.js';
import { isThenable } from '../internal/thenable.js';
import { Corrections } from './corrections.js';
import type { RateLimit } from './limits.js';
import {
  type PauseOptions,
  type RateLimitExecuteOptions,
  type RateLimitMode,
  type RateLimitOptions,
  type RateLimitSettings,
  fixedCostsFor,
  rateLimitSettings,
  publicKey,
} from './options.js';
import { TIME_EPSILON } from './state.js';
import {
  ADMITTED,
  type AcquireResult,
  type Admitted,
  type Denied,
  type RateLimitScope,
  type RateLimitStore,
  scopeOf,
} from './store.js';
import { AcquireArgs } from './store-calls.js';
import { Waitlist } from './waitlist.js';

/** Admits executions under one or more rate limits, waiting (FIFO, bounded) or refusing when they are used up. */
export class RateLimitPolicy extends PolicyBase<
  never,
  'success' | 'failure' | 'queued' | 'rejected' | 'paused' | 'limitsChange'
> {
  /** 'wait' or 'reject': {@link RateLimitOptions.mode} (default 'wait'). */
  declare readonly mode: RateLimitMode;
  /** The longest wait accepted (ms): {@link RateLimitOptions.maxWait} (default 60 000). */
  declare readonly maxWait: number;
  /** Where usage lives: {@link RateLimitOptions.store} (default a private in-memory store). */
  declare readonly store: RateLimitStore;
  /** The limits as the store knows them; replaced (same id) by setLimits. */
  declare private current: RateLimitScope;
  /** The policy's clock: {@link RateLimitOptions.clock} (default `realClock`). */
  declare readonly clock: Clock;
  declare private settings: RateLimitSettings;
  /** The call when neither the options nor the call bring a key or cost of their own. */
  declare private fixedCall: Call;
  /** True when the cost or key comes from a function, asked per call. */
  declare private readonly perCall: boolean;
  declare private readonly waitlist: Waitlist;
  declare private readonly corrections: Corrections;
  /** Lent to the store call after call; replaced when an asynchronous store keeps it (see AcquireArgs). */
  declare private request: AcquireArgs;

  constructor(options: RateLimitOptions) {
    const settings = rateLimitSettings(options);
    super(settings.name);
    this.mode = settings.mode;
    this.maxWait = settings.maxWait;
    this.settings = settings;
    this.fixedCall = { key: settings.fixedKey, costs: settings.fixedCosts, info: undefined };
    this.perCall = settings.costOption !== undefined || settings.keyOption !== undefined;
    this.store = settings.store;
    // An unfrozen copy for the stores' hot path (V8 reads frozen arrays slower); `limits` stays frozen for users.
    this.current = scopeOf([...settings.limits]);
    this.clock = settings.clock;
    this.request = new AcquireArgs(this.current);
    this.corrections = new Corrections(this.store, this.current, this.clock, (key) =>
      this.waitlist.invalidate(key),
    );
    const policy = this;
    this.waitlist = new Waitlist({
      store: this.store,
      get scope() {
        return policy.current;
      },
      clock: this.clock,
      timerOptions: settings.timerOptions,
      onQueued: (key, delay, position) => this.onQueued(key, delay, position),
      refuse: (key, retryAfterMs, limit) => this.refusal(key, retryAfterMs, limit),
      giveBack: (key, admission) => this.corrections.giveBack(key, admission),
    });
  }

  /** The limits in force, in order: {@link RateLimitOptions.limits}, or the last {@link setLimits}. */
  get limits(): readonly RateLimit[] {
    return this.settings.limits;
  }

  /**
   * The limits as the store knows them (limiters with equal limits share usage in a shared store). setLimits
   * replaces it with one of the same `id` and the new limits, so the usage recorded carries over.
   */
  get scope(): RateLimitScope {
    return this.current;
  }

  /**
   * Changes the limits' numbers at run time (resilience4j's `changeLimitForPeriod`): rates, periods,
   * capacities, bursts, a window's limit. The usage already recorded carries over, so nothing passes at the
   * switch beyond what the new limits allow from then on: a bucket's backlog drains over the time it had left, a
   * window's usage stays in its window. Waiting callers keep their order, signal and maxWait (or deadline) and
   * are projected again at once: a higher limit admits them sooner, a lower one later, and one that can no longer
   * start within its maxWait or deadline is refused (`RateLimitedError`, reported as `rejected`); one whose cost
   * exceeds a new capacity fails with {@link RateLimitCostError}. Emits `limitsChange` `{ from, to }`.
   *
   * The new limits must have the shape of the old ones, since the store keeps usage per limit: as many, in the
   * same order, of the same kind and unit, windows with the same `window` and `segments`. The store's scope id
   * stays the one of the limits given at construction: limiters sharing a store keep sharing usage, so change
   * them together.
   * @param limits The new limits (one, or an array as in {@link RateLimitOptions.limits}).
   * @throws {@link InvalidOptionError} naming `limits` or `limits[i]` for limits of another shape, or `cost` when
   * the fixed `cost` option exceeds a new capacity; nothing changes then.
   */
  setLimits(limits: RateLimit | readonly RateLimit[]): void {
    const from = this.settings.limits;
    const to = checkRelimit(from, limits);
    const settings = this.settings;
    const fixedCosts = fixedCostsFor(to, settings.costOption, settings.fixedCost);
    this.settings = { ...settings, limits: to, fixedCosts };
    this.fixedCall = { key: settings.fixedKey, costs: fixedCosts, info: undefined };
    // Same id, so the store finds the usage recorded; a new object, so a store caching per scope sees the numbers.
    this.current = Object.freeze({ id: this.current.id, limits: [...to] });
    this.request = new AcquireArgs(this.current);
    this.corrections.scope = this.current;
    const rescope = () => this.waitlist.rescope((costs) => unfitCost(to, costs));
    // Waiters are projected again once the store holds the converted usage.
    let converted: void | PromiseLike<void>;
    try {
      converted = this.store.relimit?.({ scope: this.current, now: this.clock.now() });
    } catch {
      // Best effort: the usage then keeps its time to drain (see RateLimitStore.relimit).
      converted = undefined;
    }
    if (isThenable(converted)) converted.then(rescope, rescope);
    else rescope();
    if (this.listens('limitsChange')) this.events.emit('limitsChange', { policy: this.name, from, to });
  }

  /** Callers waiting for admission (for one key, or in total). */
  waiting(key?: string): number {
    return this.waitlist.waiting(key);
  }

  /** Runs `fn` under the limits; `options.cost` and `options.key` apply to this call only. */
  override execute<R>(fn: Task<R>, options?: RateLimitExecuteOptions): Promise<R> {
    let task: Task<R>;
    try {
      task = withCallOptions(fn, options);
    } catch (error) {
      return Promise.reject(error);
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
    return this.corrections.applied(this.store.pause({ scope: this.current, key, forMs: ms, now }), key);
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    if (this.perCall || callInfoOf(context.task) !== undefined) return this.runCall(context, next);
    // The common case, kept lean: fixed key and cost, nobody waiting, admitted by the store at once. Its store
    // call and failure report stand again in runCall on purpose: shared, they would cost this path a call and a
    // check of a sentinel result.
    const now = this.clock.now();
    const call = this.fixedCall;
    if (this.waitlist.keys !== 0 && this.waitlist.has(call.key)) return this.queue(context, next, call, now);
    let result: AcquireResult | PromiseLike<AcquireResult>;
    try {
      result = this.store.acquire(this.request.set(call.key, call.costs, now, undefined));
    } catch (error) {
      this.reportFailure(this.clock, error, now);
      return Promise.reject(error);
    }
    if (result !== ADMITTED) return this.decide(context, next, call, now, undefined, result);
    return this.run(context, next, now);
  }

  /** A call whose key or cost is its own (a function option, withCost, execute options). */
  private runCall(context: Ctx, next: Next): Promise<unknown> {
    let call: Call;
    try {
      call = resolveCall(context, this.settings);
    } catch (error) {
      this.reportFailure(this.clock, error, undefined);
      return Promise.reject(error);
    }
    const now = this.clock.now();
    if (this.waitlist.keys !== 0 && this.waitlist.has(call.key)) return this.queue(context, next, call, now);
    const marks = call.info === undefined ? undefined : new Array<number>(call.costs.length);
    let result: AcquireResult | PromiseLike<AcquireResult>;
    try {
      result = this.store.acquire(this.request.set(call.key, call.costs, now, marks));
    } catch (error) {
      this.reportFailure(this.clock, error, now);
      return Promise.reject(error);
    }
    return this.decide(context, next, call, now, marks, result);
  }

  /** Acts on the store's answer (given `marks` when the call records its admission): run, queue, refuse, or wait. */
  private decide(
    context: Ctx,
    next: Next,
    call: Call,
    now: number,
    marks: number[] | undefined,
    result: AcquireResult | PromiseLike<AcquireResult>,
  ): Promise<unknown> {
    if ((result as AcquireResult).admitted === true) {
      if (call.info !== undefined) this.record(call, marks, (result as Admitted).at ?? now);
      return this.run(context, next, now);
    }
    if ((result as AcquireResult).admitted === false)
      return this.onDenied(context, next, call, now, result as Denied);
    // The store keeps the request until it answers: the next call takes a fresh one.
    this.request = new AcquireArgs(this.current);
    return this.acquired(context, next, call, now, marks, result as PromiseLike<AcquireResult>);
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

  private onDenied(context: Ctx, next: Next, call: Call, now: number, result: Denied): Promise<unknown> {
    // Refused now when it cannot start in time: never after waiting.
    if (this.mode === 'reject' || now + result.retryAfterMs > this.latestStart(context, now) + TIME_EPSILON) {
      return Promise.reject(this.refusal(call.key, result.retryAfterMs, result.limit));
    }
    return this.queue(context, next, call, now);
  }

  private async acquired(
    context: Ctx,
    next: Next,
    call: Call,
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
    if (!result.admitted) return this.onDenied(context, next, call, started, result);
    // The time the store recorded the admission at: its own, or the one it was asked with.
    return this.admitted(context, next, call, started, marks ?? [], result.at ?? started);
  }

  private async queue(context: Ctx, next: Next, call: Call, started: number): Promise<unknown> {
    const marks = new Array<number>(call.costs.length);
    let at: number;
    try {
      at = await this.waitlist.join(call.key, call.costs, this.latestStart(context, started), context, marks);
    } catch (error) {
      // Refusals were reported as `rejected`; an abort (or a store failure) ends the execution as a failure.
      if (!isRefusal(error)) this.reportFailure(this.clock, error, started);
      throw error;
    }
    return this.admitted(context, next, call, started, marks, at);
  }

  /** Runs a call admitted after a wait (at `at`, the store's time), unless its caller left meanwhile. */
  private admitted(
    context: Ctx,
    next: Next,
    call: Call,
    started: number,
    marks: number[],
    at: number,
  ): Promise<unknown> {
    if (context.aborted) {
      // Admitted, but the caller left before running: the usage goes back.
      this.corrections.giveBack(call.key, { at, costs: call.costs, marks });
      this.reportFailure(this.clock, context.reason, started);
      return Promise.reject(context.reason);
    }
    this.record(call, marks, at);
    return this.run(context, next, started);
  }

  /** Records the admission on a call that can correct it later (withCost). */
  private record(call: Call, marks: readonly number[] | undefined, at: number): void {
    if (call.info !== undefined) {
      call.info.record({ owner: this.corrections, key: call.key, at, costs: call.costs, marks: marks! });
    }
  }

  /** Latest acceptable admission time: maxWait from now, and never past the caller's deadline. */
  private latestStart(context: Ctx, now: number): number {
    const byWait = now + this.maxWait;
    const deadline = context.deadline;
    return deadline !== undefined && deadline < byWait ? deadline : byWait;
  }

  private onQueued(key: string, delay: number, position: number): void {
    if (this.listens('queued')) {
      this.events.emit('queued', { policy: this.name, delay: ceilMs(delay), position, key: publicKey(key) });
    }
  }

  /** The error (reported as `rejected`) for a call that cannot be admitted in time. */
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

/** The error for a waiter whose costs a limit can no longer hold, if any. */
function unfitCost(limits: readonly RateLimit[], costs: readonly number[]): Error | undefined {
  for (let i = 0; i < limits.length; i++) {
    const limit = limits[i]!;
    if (costs[i]! > limit.capacity) return new RateLimitCostError(limit.name, costs[i]!, limit.capacity);
  }
  return undefined;
}

/** Refusals made by limiters, so a waiter's refusal is not reported twice. */
const REFUSALS = new WeakSet<object>();

function isRefusal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && REFUSALS.has(error);
}

/** Waits are reported in whole milliseconds, rounded up: trying again after that long is never too early. */
function ceilMs(ms: number): number {
  return Math.max(0, Math.ceil(ms - TIME_EPSILON));
}

/**
 * Limits how often executions run: token bucket, smooth (GCRA) and sliding-window limits, several at once,
 * weighted costs, per-key limits, FIFO waiting or rejection, and server feedback (pause, reconcile).
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function rateLimit(options: RateLimitOptions): RateLimitPolicy {
  return new RateLimitPolicy(options);
}
