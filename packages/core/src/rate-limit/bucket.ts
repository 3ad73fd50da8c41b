import type { BucketLimit } from './limits.js';
import type { BucketState } from './state.js';

/**
 * Token bucket and smooth limits (GCRA). Admitting `cost` at t needs max(tat, t) + cost * interval - t to stay
 * within capacity * interval, i.e. t >= tat + (cost - capacity) * interval.
 */

/**
 * The earliest time at which the bucket admits `cost`, possibly past: fitAll takes the latest of every limit's
 * time and the time asked about, and its callers count a time within TIME_EPSILON of now as now.
 */
export function bucketFit(limit: BucketLimit, s: BucketState, cost: number): number {
  return s.tat + (cost - limit.capacity) * limit.interval;
}

/**
 * Takes `cost` at t. The mark is where the admission's share ends in bucket time, plus the refunds so far (see
 * bucketAdjust).
 */
export function bucketConsume(limit: BucketLimit, s: BucketState, cost: number, t: number): number {
  s.tat = Math.max(s.tat, t) + cost * limit.interval;
  return s.tat + s.refunded;
}

/** Charges `delta` > 0 at once, or gives back what the bucket still holds of the admission (delta < 0). */
export function bucketAdjust(
  limit: BucketLimit,
  s: BucketState,
  delta: number,
  mark: number,
  granted: number,
  now: number,
): void {
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

/** When the bucket is full again. */
export function bucketRestAt(s: BucketState): number {
  return s.tat;
}
