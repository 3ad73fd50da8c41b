import type { RateLimit } from './limits.js';
import type { KeyState } from './state.js';

/**
 * Where a rate limiter keeps its usage. The policy never touches state itself: every decision is one atomic
 * store call per key, so a distributed store (e.g. Redis running the same algorithms from `state.ts` in a script)
 * can replace the in-memory one without changing the policy. Methods may answer synchronously or with a promise.
 */
export interface RateLimitStore {
  /**
   * Atomically admits `costs` (one per limit) on every limit of `key` at `now`, or takes nothing at all.
   * On admission, writes each limit's mark into `marks` when given (adjust needs them later).
   */
  acquire(
    scope: RateLimitScope,
    key: string,
    costs: readonly number[],
    now: number,
    marks?: number[],
  ): AcquireResult | PromiseLike<AcquireResult>;
  /**
   * Corrects an admission (its marks, granted costs and time `at`) by `deltas` (actual minus granted, per
   * limit). Must never refund more than the limits still hold of that admission (see `adjustAll`).
   */
  adjust(
    scope: RateLimitScope,
    key: string,
    deltas: readonly number[],
    marks: readonly number[],
    granted: readonly number[],
    at: number,
    now: number,
  ): void | PromiseLike<void>;
  /** Admits nobody before `until` for `key`, or for every key of the scope when key is undefined. */
  pause(scope: RateLimitScope, key: string | undefined, until: number, now: number): void | PromiseLike<void>;
  /**
   * A copy of the key's state (pause included) that the caller may modify, or undefined for a fresh key. The
   * policy projects its waiting queue on it to tell each caller its wait at once.
   */
  read(
    scope: RateLimitScope,
    key: string,
    now: number,
  ): KeyState | undefined | PromiseLike<KeyState | undefined>;
}

/** A set of limits. Policies (and processes) whose limits have the same `id` share usage in a shared store. */
export interface RateLimitScope {
  readonly id: string;
  readonly limits: readonly RateLimit[];
}

export interface Admitted {
  readonly admitted: true;
}

export interface Denied {
  readonly admitted: false;
  /** Earliest wait (ms, not rounded) after which the same request would be admitted if nothing else changed. */
  readonly retryAfterMs: number;
  /** Index of the limit that decided the wait, or -1 for a pause. */
  readonly limit: number;
}

export type AcquireResult = Admitted | Denied;

/** The one admission answer, shared so the success path allocates nothing. */
export const ADMITTED: Admitted = Object.freeze({ admitted: true });

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
