import type { BucketLimit, RateLimit, WindowLimit } from './limits.js';

/**
 * The limit algorithms as pure functions over plain, JSON-friendly state, so any store (in memory now, Redis
 * later) can apply them atomically and the waiting queue can project them into the future on a copy.
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
  tat: number;
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
  counts: number[];
  /** Latest use recorded in each slot: the slot's usage expires `window` ms after it. */
  lasts: number[];
}

export type LimitState = BucketState | WindowState;

/** Everything a store keeps for one key. */
export interface KeyState {
  /** Nobody is admitted before this time (server feedback). */
  pausedUntil: number;
  /** When this state was created: admissions older than that belong to a forgotten state and get no refund. */
  since: number;
  limits: LimitState[];
}

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

/** Written by fitAll: the index of the limit that decided the time, or -1 when the pause did. */
export interface Blocker {
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
        ? bucketFit(limit, s as BucketState, cost, t)
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
  // Everything fits: take it (inline for buckets, the common case).
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
 * Corrects an admission made at `at` by `deltas` (actual minus granted, per limit). A charge is recorded at once;
 * a refund only gives back what the bucket or window still holds of that admission, so it never creates more
 * room than there would have been had the smaller cost been charged in the first place.
 */
export function adjustAll(
  limits: readonly RateLimit[],
  state: KeyState,
  deltas: readonly number[],
  marks: readonly number[],
  granted: readonly number[],
  at: number,
  now: number,
): void {
  const refundable = at >= state.since;
  for (let i = 0; i < limits.length; i++) {
    const delta = deltas[i]!;
    if (delta === 0 || !Number.isFinite(delta) || (delta < 0 && !refundable)) continue;
    const limit = limits[i]!;
    const s = state.limits[i]!;
    if (limit.kind === 'bucket') bucketAdjust(limit, s as BucketState, delta, marks[i]!, granted[i]!, now);
    else windowAdjust(limit, s as WindowState, delta, marks[i]!, now);
  }
}

/** When the state becomes indistinguishable from a fresh one (then a store may forget the key). */
export function restAt(limits: readonly RateLimit[], state: KeyState): number {
  let rest = state.pausedUntil;
  for (let i = 0; i < limits.length; i++) {
    const limit = limits[i]!;
    const s = state.limits[i]!;
    let t: number;
    if (limit.kind === 'bucket') t = (s as BucketState).tat;
    else {
      const w = s as WindowState;
      t = NEVER;
      for (let j = 0; j < w.counts.length; j++) {
        if (w.counts[j]! > 0 && w.lasts[j]! + limit.window > t) t = w.lasts[j]! + limit.window;
      }
    }
    if (t > rest) rest = t;
  }
  return rest;
}

// Bucket (token bucket and smooth). Admitting `cost` at t needs max(tat, t) + cost * interval - t to stay within
// capacity * interval, i.e. t >= tat + (cost - capacity) * interval.

function bucketFit(limit: BucketLimit, s: BucketState, cost: number, t: number): number {
  const need = s.tat + (cost - limit.capacity) * limit.interval;
  return need <= t + TIME_EPSILON ? t : need;
}

/** The mark is where the admission's share ends in bucket time, plus the refunds so far (see bucketAdjust). */
function bucketConsume(limit: BucketLimit, s: BucketState, cost: number, t: number): number {
  s.tat = Math.max(s.tat, t) + cost * limit.interval;
  return s.tat + s.refunded;
}

function bucketAdjust(
  limit: BucketLimit,
  s: BucketState,
  delta: number,
  mark: number,
  granted: number,
  now: number,
) {
  const interval = limit.interval;
  if (delta > 0) {
    s.tat = Math.max(s.tat, now) + delta * interval;
    return;
  }
  // The admission's share ended at mark - refunds made before it (refunds of earlier shares moved it earlier;
  // counting later ones too only makes the estimate earlier, i.e. safer). The part of the share before `now`
  // has refilled already and is not the admission's to give back.
  const end = mark - s.refunded;
  const outstanding = Math.min(granted, Math.max(0, (end - now) / interval));
  const refund = Math.min(-delta, outstanding) * interval;
  s.tat -= refund;
  s.refunded += refund;
}

// Sliding window. Usage is counted per segment, with the latest use in each: a segment's usage counts until that
// latest use + window, so a unit used at time u counts at least until u + window and no window of `window` ms ever
// holds more than the limit. A burst is released exactly `window` ms later; usage spread over a segment is
// released with the segment's latest use. The ring is indexed relative to `head` (the newest segment's slot), so the
// hot path needs no modulo of large numbers.

/** Slot of segment b, for newest - segments <= b <= newest. */
function slotOf(limit: WindowLimit, s: WindowState, segment: number): number {
  const slot = s.head - (s.newest - segment);
  return slot < 0 ? slot + limit.segments + 1 : slot;
}

/**
 * Moves the ring to time t, dropping segments older than `segments` granules (every use in them is at least a
 * window old by then).
 */
function advance(limit: WindowLimit, s: WindowState, t: number): void {
  const current = Math.floor(t / limit.granule);
  if (!(current > s.newest)) return;
  const n = limit.segments + 1;
  const { counts, lasts } = s;
  if (current - s.newest >= n) {
    for (let i = 0; i < n; i++) {
      counts[i] = 0;
      lasts[i] = NEVER;
    }
    s.total = 0;
  } else {
    let head = s.head;
    for (let steps = current - s.newest; steps > 0; steps--) {
      head = head + 1 === n ? 0 : head + 1;
      s.total -= counts[head]!;
      counts[head] = 0;
      lasts[head] = NEVER;
    }
    s.head = head;
    if (s.total < 0) s.total = 0;
  }
  s.newest = current;
}

function windowFit(limit: WindowLimit, s: WindowState, cost: number, t: number): number {
  advance(limit, s, t);
  const capacity = limit.capacity;
  const epsilon = 1e-9 * Math.max(capacity, 1);
  if (s.total + cost - capacity <= epsilon) return t;
  // Exact pass: only usage still inside the window at t counts, oldest slot (after head) first.
  const n = limit.segments + 1;
  const { counts, lasts } = s;
  let live = 0;
  for (let age = 0; age < n; age++) {
    const slot = (s.head + 1 + age) % n;
    if (lasts[slot]! + limit.window > t) live += counts[slot]!;
  }
  const excess = live + cost - capacity;
  if (excess <= epsilon) return t;
  let freed = 0;
  for (let age = 0; age < n; age++) {
    const slot = (s.head + 1 + age) % n;
    const expires = lasts[slot]! + limit.window;
    if (expires <= t) continue;
    freed += counts[slot]!;
    if (freed >= excess - epsilon) return expires;
  }
  return Number.POSITIVE_INFINITY;
}

function windowConsume(limit: WindowLimit, s: WindowState, cost: number, t: number): number {
  advance(limit, s, t);
  const head = s.head;
  s.counts[head] = s.counts[head]! + cost;
  if (t > s.lasts[head]!) s.lasts[head] = t;
  s.total += cost;
  return s.newest;
}

function windowAdjust(limit: WindowLimit, s: WindowState, delta: number, mark: number, now: number): void {
  advance(limit, s, now);
  // Usage that already left the window is neither refunded nor charged.
  if (mark < s.newest - limit.segments || mark > s.newest) return;
  const i = slotOf(limit, s, mark);
  if (delta < 0) {
    const refund = Math.min(-delta, s.counts[i]!);
    s.counts[i] = s.counts[i]! - refund;
    s.total = Math.max(0, s.total - refund);
  } else {
    // Charged to the admission's own segment: it expires with the admission, which the server counted then.
    s.counts[i] = s.counts[i]! + delta;
    s.total += delta;
  }
}

/** The algorithms, for implementers of other stores (a store must apply them atomically per key). */
export const rateLimitAlgorithms = Object.freeze({
  freshState,
  cloneState,
  fitAll,
  consumeAll,
  adjustAll,
  restAt,
});
