import type { RateLimit } from './limits.js';
import type { KeyState } from './state.js';

/**
 * Where a rate limiter keeps its usage. The policy never touches usage itself: every decision is one call per
 * key, which the store makes atomic, so a store shared by many processes (a server running the algorithms of
 * `@bulwark/core/store` in one script per call) can replace the in-memory one without changing the policy.
 *
 * Each method takes one request object and may answer synchronously or with a promise.
 *
 * - **Time.** Every request carries `now`, the caller's clock. A store without a clock of its own (the in-memory
 *   one) works in that time. A store with one (a server's, so that every process agrees) ignores it and reports
 *   the time it used: `at` in acquire's answer, `now` in read's. The times it keeps (KeyState, marks, an
 *   admission's `at`) are then all its own; the caller only compares them with each other, and pauses are
 *   relative (`forMs`).
 * - **Requests are lent, not given.** A caller may reuse a request object (the policy does, so that an admission
 *   allocates nothing): a store that answers synchronously must not keep it after returning. A store that answers
 *   with a promise may read it until the promise settles; the caller does not touch it meanwhile.
 */
export interface RateLimitStore {
  /**
   * Atomically admits `costs` (one per limit) on every limit of the key, or takes nothing at all. On admission,
   * writes each limit's mark into `marks` when given, before the answer settles.
   */
  acquire(request: AcquireRequest): AcquireResult | PromiseLike<AcquireResult>;
  /**
   * Corrects an earlier admission by `deltas` (actual minus granted, per limit): a charge is recorded at once, a
   * refund never gives back more than the limits still hold of that admission.
   */
  adjust(request: AdjustRequest): void | PromiseLike<void>;
  /** Admits nobody for `forMs` (from the store's now) for the key, or for every key of the scope. */
  pause(request: PauseRequest): void | PromiseLike<void>;
  /**
   * A copy of the key's state (pauses of the key and of the scope included) that the caller may modify, and the
   * store's time. The policy projects its waiting callers on it to tell each one its wait at once.
   */
  read(request: ReadRequest): ReadResult | PromiseLike<ReadResult>;
  /**
   * Optional. The numbers of the scope's limits changed (a limiter's `setLimits`; same id, same shape, a new
   * scope object): convert what the store keeps so that each key's usage keeps its amount in units, e.g. a
   * bucket's backlog rescaled to the new refill interval. The store converts from the limits it last used for the
   * scope, so calls from several limiters sharing it convert once. Without it, a bucket's backlog keeps its time
   * to drain instead (its amount in units changes with the rate).
   */
  relimit?(request: RelimitRequest): void | PromiseLike<void>;
}

/** A request to convert a scope's usage to new numbers of its limits (see {@link RateLimitStore.relimit}). */
export interface RelimitRequest {
  /** The scope with its new limits (the id is unchanged). */
  readonly scope: RateLimitScope;
  /** The caller's clock (ms), for a store without a clock of its own. */
  readonly now: number;
}

/** A set of limits. Policies (and processes) whose limits have the same `id` share usage in a shared store. */
export interface RateLimitScope {
  /** Identifies the limits: the same id, in any process, shares usage in a shared store. */
  readonly id: string;
  /** The limits, in order: requests' `costs` and answers' `limit` index into them. */
  readonly limits: readonly RateLimit[];
}

/** What every request names: the limits, the key, and the caller's clock. */
export interface KeyRequest {
  /** The scope whose limits the request concerns. */
  readonly scope: RateLimitScope;
  /** The key whose usage counts ('' is the shared key). */
  readonly key: string;
  /** The caller's clock (ms): the time to decide at for a store without a clock of its own. */
  readonly now: number;
}

export interface AcquireRequest extends KeyRequest {
  /** What to take from each limit of the scope, in the scope's order (0 takes nothing from that limit). */
  readonly costs: readonly number[];
  /** Receives each limit's mark on admission: what `adjust` needs to correct this admission later. */
  readonly marks?: number[] | undefined;
}

/** An admission as `adjust` needs it. */
export interface Admission {
  /** When the store recorded it: the answer's `at`, or the request's `now` when the answer had none. */
  readonly at: number;
  /** The costs it took. */
  readonly costs: readonly number[];
  /** The marks the store wrote. */
  readonly marks: readonly number[];
}

export interface AdjustRequest extends KeyRequest {
  /** Actual minus granted, per limit: > 0 charges more, < 0 gives back. */
  readonly deltas: readonly number[];
  /** The admission to correct, as the acquire recorded it. */
  readonly admission: Admission;
}

/** A request to pause a scope's key (or all its keys) for a while (server feedback such as a 429). */
export interface PauseRequest {
  /** The scope to pause. */
  readonly scope: RateLimitScope;
  /** The key to pause; undefined pauses every key of the scope. */
  readonly key?: string | undefined;
  /** How long (ms, from the store's now). A shorter pause never cuts a longer one short. */
  readonly forMs: number;
  /** The caller's clock (ms), for a store without a clock of its own. */
  readonly now: number;
}

/** A request to read a key's state. */
export type ReadRequest = KeyRequest;

/** The answer to a read. */
export interface ReadResult {
  /** The key's state as of `now`; undefined for a key the store does not hold (the same as a fresh one). */
  readonly state: KeyState | undefined;
  /** The store's time of the reading (the request's `now` for a store without a clock of its own). */
  readonly now: number;
}

/** The answer to an acquire that admitted the request. */
export interface Admitted {
  /** Always true. */
  readonly admitted: true;
  /** The store's time of the admission; omitted, the request's `now` (so ADMITTED suits a store without a clock). */
  readonly at?: number;
}

/** The answer to an acquire that refused the request. */
export interface Denied {
  /** Always false. */
  readonly admitted: false;
  /** Earliest wait (ms, not rounded) after which the same request would be admitted if nothing else changed. */
  readonly retryAfterMs: number;
  /** Index of the limit that decided the wait, or -1 for a pause. */
  readonly limit: number;
  /** The store's time of the decision; omitted, the request's `now`. */
  readonly at?: number;
}

/** What a store answers to an acquire. */
export type AcquireResult = Admitted | Denied;

/** The one admission answer of a store without a clock of its own, shared so the success path allocates nothing. */
export const ADMITTED: Admitted = /* @__PURE__ */ Object.freeze({ admitted: true });

/** The scope id: limits with the same algorithm, unit and numbers get the same id (names do not matter). */
export function scopeOf(limits: readonly RateLimit[]): RateLimitScope {
  const id = JSON.stringify(
    limits.map((l) =>
      l.kind === 'bucket'
        ? ['bucket', l.unit, l.capacity, l.interval]
        : ['window', l.unit, l.capacity, l.window, l.segments],
    ),
  );
  return Object.freeze({ id, limits });
}
