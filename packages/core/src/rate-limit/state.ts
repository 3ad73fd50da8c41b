import type { RateLimit } from './limits.js';

/**
 * The state a store keeps per key: plain, JSON-friendly data, so any store (in memory, or a server running the
 * same algorithms in a script) can keep it, and the waiting list can project it into the future on a copy.
 */

/** Tolerance for float time arithmetic (ms): a wait computed to the microsecond must not miss by an ulp. */
export const TIME_EPSILON = 1e-6;

/** "Long ago": a finite stand-in for minus infinity, so states survive JSON (which turns -Infinity into null). */
export const NEVER = -Number.MAX_VALUE;

/**
 * GCRA form of a bucket: `tat` is the time at which the bucket is full again ("theoretical arrival time"). Usage
 * lies end to end in bucket time and refilling repays it oldest first; `refunded` sums the bucket time given back,
 * because a refund moves every later admission's share earlier.
 */
export interface BucketState {
  /** The time (store clock ms) at which the bucket is full again. */
  tat: number;
  /** Bucket time (ms) given back by refunds. */
  refunded: number;
}

/** Usage per segment in a ring of segments + 1 slots. */
export interface WindowState {
  /** Index of the newest segment recorded (segment b covers [b * granule, (b + 1) * granule)). */
  newest: number;
  /** The slot holding the newest segment; older segments precede it, wrapping around. */
  head: number;
  /** Sum of counts: an upper bound of the usage in the window (a slot may have expired before leaving the ring). */
  total: number;
  /** Usage per slot of the ring. */
  counts: number[];
  /** Latest use recorded in each slot: the slot's usage expires `window` ms after it. */
  lasts: number[];
}

/** The state of one limit of a key, in the limit's order. */
export type LimitState = BucketState | WindowState;

/** Everything a store keeps for one key. Times are the store's (see RateLimitStore). */
export interface KeyState {
  /** Nobody is admitted before this time (server feedback). */
  pausedUntil: number;
  /** When this state was created: admissions older than that belong to a forgotten state and get no refund. */
  since: number;
  /** One state per limit of the scope, in the same order. */
  limits: LimitState[];
}

/** The state of a key never used (or at rest, which is the same), created at `now`. */
export function freshState(limits: readonly RateLimit[], now: number): KeyState {
  return { pausedUntil: NEVER, since: now, limits: limits.map(freshLimit) };
}

function freshLimit(limit: RateLimit): LimitState {
  if (limit.kind === 'bucket') return { tat: NEVER, refunded: 0 };
  const counts: number[] = [];
  const lasts: number[] = [];
  for (let i = 0; i <= limit.segments; i++) {
    counts.push(0);
    lasts.push(NEVER);
  }
  return { newest: NEVER, head: 0, total: 0, counts, lasts };
}

/** A deep copy, which the caller may modify (the waiting list projects on one). */
export function cloneState(state: KeyState): KeyState {
  return {
    pausedUntil: state.pausedUntil,
    since: state.since,
    limits: state.limits.map((s) =>
      'tat' in s
        ? { tat: s.tat, refunded: s.refunded }
        : {
            newest: s.newest,
            head: s.head,
            total: s.total,
            counts: s.counts.slice(),
            lasts: s.lasts.slice(),
          },
    ),
  };
}
