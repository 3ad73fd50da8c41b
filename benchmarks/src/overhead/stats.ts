/** Medians and their confidence intervals: how the overhead suite states a figure and how far to trust it. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A median and the interval that holds the true median with about 95 % confidence. */
export interface Interval {
  readonly median: number;
  readonly low: number;
  readonly high: number;
}

/** P(X <= k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = 0.5 ** n;
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/**
 * The median of `values` and its distribution-free 95 % confidence interval: the order statistics x(k) and
 * x(n + 1 - k) for the largest k with P(Binomial(n, 1/2) < k) <= 2.5 %. It narrows as rounds are added (unlike the
 * range between the lowest and the highest round, which only widens); with fewer than 6 values no such k exists and
 * the interval is the whole range.
 */
export function medianInterval(values: readonly number[]): Interval {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: Number.NaN, low: Number.NaN, high: Number.NaN };
  let k = 0;
  while (k + 1 <= n / 2 && binomialHalfCdf(n, k) <= 0.025) k++;
  const lowIndex = Math.max(0, k - 1);
  return { median: median(sorted), low: sorted[lowIndex]!, high: sorted[n - 1 - lowIndex]! };
}

/** The interval's wider side as a share of its median: 0.15 is "±15 %". */
export function spreadOf(interval: Interval): number {
  const { median: m, low, high } = interval;
  if (!(m > 0)) return Number.NaN;
  return Math.max(high - m, m - low) / m;
}

/** a ÷ b of two intervals, bounded conservatively (the low end over the other's high end, and vice versa). */
export function divideIntervals(a: Interval, b: Interval): Interval {
  return { median: a.median / b.median, low: a.low / b.high, high: a.high / b.low };
}

/** a - b of two intervals, bounded conservatively. */
export function subtractIntervals(a: Interval, b: Interval): Interval {
  return { median: a.median - b.median, low: a.low - b.high, high: a.high - b.low };
}
