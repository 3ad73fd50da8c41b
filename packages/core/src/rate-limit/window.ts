import type { WindowLimit } from './limits.js';
import { NEVER, type WindowState } from './state.js';

/**
 * Sliding window. Usage is counted per segment, with the latest use in each: a segment's usage counts until that
 * latest use + window, so a unit used at time u counts at least until u + window and no window of `window` ms ever
 * holds more than the limit. A burst is released exactly `window` ms later; usage spread over a segment is
 * released with the segment's latest use. The ring is indexed relative to `head` (the newest segment's slot), so
 * the hot path needs no modulo of large numbers.
 */

/** Slot of segment b, for newest - segments <= b <= newest. */
function slotOf(limit: WindowLimit, s: WindowState, segment: number): number {
  const slot = s.head - (s.newest - segment);
  return slot < 0 ? slot + limit.segments + 1 : slot;
}

/**
 * Moves the ring to time t, dropping segments older than `segments` granules (every use in them is at least a
 * window old by then).
 */
export function advance(limit: WindowLimit, s: WindowState, t: number): void {
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

/** The earliest time >= t at which the window admits `cost` (Infinity: never, the cost exceeds the limit). */
export function windowFit(limit: WindowLimit, s: WindowState, cost: number, t: number): number {
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

/** Takes `cost` at t. The mark is the admission's segment. */
export function windowConsume(limit: WindowLimit, s: WindowState, cost: number, t: number): number {
  advance(limit, s, t);
  const head = s.head;
  s.counts[head] = s.counts[head]! + cost;
  if (t > s.lasts[head]!) s.lasts[head] = t;
  s.total += cost;
  return s.newest;
}

/** Charges or refunds `delta` in the admission's own segment, if it is still in the window. */
export function windowAdjust(
  limit: WindowLimit,
  s: WindowState,
  delta: number,
  mark: number,
  now: number,
): void {
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

/**
 * When the last admission still in the window leaves it. A segment refunded to zero counts too: its admission may
 * still be charged (a correction after the refund) until it leaves the window, and a store that forgot the key
 * would lose that charge.
 */
export function windowRestAt(limit: WindowLimit, s: WindowState): number {
  let t = NEVER;
  for (let j = 0; j < s.lasts.length; j++) {
    if (s.lasts[j]! + limit.window > t) t = s.lasts[j]! + limit.window;
  }
  return t;
}
