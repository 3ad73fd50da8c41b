import { bucketAdjust, bucketConsume, bucketFit, bucketRestAt } from './bucket.js';
import type { RateLimit } from './limits.js';
import { ADMITTED, type AcquireRequest, type AcquireResult, type Admission } from './store.js';
import {
  type BucketState,
  cloneState,
  freshState,
  type KeyState,
  NEVER,
  TIME_EPSILON,
  type WindowState,
} from './state.js';
import { advance, windowAdjust, windowConsume, windowFit, windowRestAt } from './window.js';

/**
 * The limit algorithms over every limit of a key at once, as pure functions of a KeyState: what a store applies
 * atomically per call, and what the waiting list projects into the future on a copy.
 */

/** Written by fitAll: the index of the limit that decided the time, or -1 when the pause did. */
export interface Blocker {
  /** The index of the limit that decided the time, or -1 when a pause did. */
  limit: number;
}

/**
 * The earliest time >= `t` at which every limit admits `costs` together, assuming all recorded usage lies at or
 * before `t`. Each limit only frees capacity as time passes, so the latest of the per-limit times suits them all.
 */
export function fitAll(
  limits: readonly RateLimit[],
  state: KeyState,
  costs: readonly number[],
  t: number,
  blocker?: Blocker,
): number {
  let time = t;
  let by = -2;
  if (state.pausedUntil > time) {
    time = state.pausedUntil;
    by = -1;
  }
  for (let i = 0; i < limits.length; i++) {
    const cost = costs[i]!;
    if (cost === 0) continue;
    const limit = limits[i]!;
    const s = state.limits[i]!;
    const fit =
      limit.kind === 'bucket'
        ? bucketFit(limit, s as BucketState, cost)
        : windowFit(limit, s as WindowState, cost, t);
    if (fit > time) {
      time = fit;
      by = i;
    }
  }
  if (blocker) blocker.limit = by;
  return time;
}

/**
 * The hot path of every store: admits `costs` at `now` on every limit and returns true, or takes nothing and
 * returns false (then fitAll tells when). Checks run inline, without boxing a time per limit.
 */
export function tryAdmit(
  limits: readonly RateLimit[],
  state: KeyState,
  costs: readonly number[],
  now: number,
  marks?: number[],
): boolean {
  if (state.pausedUntil > now + TIME_EPSILON) return false;
  const n = limits.length;
  for (let i = 0; i < n; i++) {
    const cost = costs[i]!;
    if (cost === 0) continue;
    const limit = limits[i]!;
    if (limit.kind === 'bucket') {
      // bucketFit inline.
      const s = state.limits[i] as BucketState;
      if (s.tat + (cost - limit.capacity) * limit.interval > now + TIME_EPSILON) return false;
    } else {
      const s = state.limits[i] as WindowState;
      advance(limit, s, now);
      // The ring total is an upper bound of the usage in the window; only a near miss needs the exact pass.
      if (
        s.total + cost - limit.capacity > 1e-9 * Math.max(limit.capacity, 1) &&
        windowFit(limit, s, cost, now) > now
      ) {
        return false;
      }
    }
  }
  // Everything fits: take it (bucketConsume inline, the common case).
  for (let i = 0; i < n; i++) {
    const limit = limits[i]!;
    if (limit.kind === 'bucket') {
      const s = state.limits[i] as BucketState;
      const tat = Math.max(s.tat, now) + costs[i]! * limit.interval;
      s.tat = tat;
      if (marks !== undefined) marks[i] = tat + s.refunded;
    } else {
      const mark = windowConsume(limit, state.limits[i] as WindowState, costs[i]!, now);
      if (marks !== undefined) marks[i] = mark;
    }
  }
  return true;
}

/** Records `costs` at time `t` on every limit. Writes each limit's mark (what a later adjust needs) to `marks`. */
export function consumeAll(
  limits: readonly RateLimit[],
  state: KeyState,
  costs: readonly number[],
  t: number,
  marks?: number[],
): void {
  for (let i = 0; i < limits.length; i++) {
    const limit = limits[i]!;
    const s = state.limits[i]!;
    const mark =
      limit.kind === 'bucket'
        ? bucketConsume(limit, s as BucketState, costs[i]!, t)
        : windowConsume(limit, s as WindowState, costs[i]!, t);
    if (marks) marks[i] = mark;
  }
}

/**
 * One acquire on a key's state, as a store decides it: admits the request's costs at its `now` on every limit
 * (writing its marks) and returns ADMITTED, or takes nothing and returns when to come back. `pausedUntil` is a
 * pause of the whole scope, which a store may keep apart from the key's state.
 */
export function admit(request: AcquireRequest, state: KeyState, pausedUntil = NEVER): AcquireResult {
  // Small enough to inline into a store's acquire: the admission at once, the common case; the rest apart.
  const now = request.now;
  if (
    pausedUntil <= now + TIME_EPSILON &&
    tryAdmit(request.scope.limits, state, request.costs, now, request.marks)
  )
    return ADMITTED;
  return admitLater(request, state, pausedUntil);
}

/** Reused by admitLater, which runs synchronously to the end. */
const BLOCKER: Blocker = { limit: -2 };

/** The rest of admit: when the request fits, unless only float noise kept tryAdmit from admitting it now. */
function admitLater(request: AcquireRequest, state: KeyState, pausedUntil: number): AcquireResult {
  const limits = request.scope.limits;
  const costs = request.costs;
  const now = request.now;
  let time = fitAll(limits, state, costs, now, BLOCKER);
  let limit = BLOCKER.limit;
  if (pausedUntil > time) {
    time = pausedUntil;
    limit = -1;
  }
  if (time > now + TIME_EPSILON) return { admitted: false, retryAfterMs: time - now, limit };
  consumeAll(limits, state, costs, now, request.marks);
  return ADMITTED;
}

/**
 * Corrects `admission` by `deltas` (actual minus granted, per limit) at `now`. A charge is recorded at once; a
 * refund only gives back what the bucket or window still holds of that admission, so it never creates more room
 * than there would have been had the smaller cost been charged in the first place.
 */
export function adjustAll(
  limits: readonly RateLimit[],
  state: KeyState,
  deltas: readonly number[],
  admission: Admission,
  now: number,
): void {
  const refundable = admission.at >= state.since;
  for (let i = 0; i < limits.length; i++) {
    const delta = deltas[i]!;
    if (delta === 0 || !Number.isFinite(delta) || (delta < 0 && !refundable)) continue;
    const limit = limits[i]!;
    const s = state.limits[i]!;
    const mark = admission.marks[i]!;
    if (limit.kind === 'bucket') bucketAdjust(limit, s as BucketState, delta, mark, admission.costs[i]!, now);
    else windowAdjust(limit, s as WindowState, delta, mark, now);
  }
}

/** When the state becomes indistinguishable from a fresh one (then a store may forget the key). */
export function restAt(limits: readonly RateLimit[], state: KeyState): number {
  let rest = state.pausedUntil;
  for (let i = 0; i < limits.length; i++) {
    const limit = limits[i]!;
    const s = state.limits[i]!;
    const t =
      limit.kind === 'bucket' ? bucketRestAt(s as BucketState) : windowRestAt(limit, s as WindowState);
    if (t > rest) rest = t;
  }
  return rest;
}

/** The algorithms, for implementers of other stores (a store must apply them atomically per key). */
export const rateLimitAlgorithms = /* @__PURE__ */ Object.freeze({
  /** `freshState(limits, now)`: the state of a key never used (or at rest, the same), created at `now`. */
  freshState,
  /** `cloneState(state)`: a deep copy, which the caller may modify. */
  cloneState,
  /**
   * `admit(request, state, pausedUntil?)`: one acquire as a store decides it: records the request's costs on every
   * limit and returns `ADMITTED`, or takes nothing and returns a {@link Denied} with the wait.
   */
  admit,
  /** `fitAll(limits, state, costs, t, blocker?)`: the earliest time >= `t` at which every limit admits `costs`. */
  fitAll,
  /** `consumeAll(limits, state, costs, t, marks?)`: records `costs` at `t` on every limit, writing each mark. */
  consumeAll,
  /**
   * `adjustAll(limits, state, deltas, admission, now)`: corrects an admission by `deltas` (actual minus granted);
   * a refund only gives back what the limits still hold of it.
   */
  adjustAll,
  /** `restAt(limits, state)`: when the state becomes the same as a fresh one (then a store may forget the key). */
  restAt,
});
