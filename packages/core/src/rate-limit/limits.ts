import { InvalidOptionError } from '../errors.js';
import {
  describe,
  optionalString,
  orDefault,
  requireInteger,
  requireIntegerIn,
  requireNonEmptyString,
  requireOptions,
  requirePositive,
  requireString,
} from '../internal/validate.js';

/**
 * What a limit counts. `'calls'` counts every execution as 1 whatever its cost; any other unit counts the
 * execution's cost in that unit (`'cost'`, the default, takes a plain numeric cost).
 */
export type LimitUnit = string;

interface LimitBase {
  /** Names the limit in errors and events, e.g. '1000 calls/min'. */
  readonly name: string;
  /** What the limit counts: 'calls', or a unit of the cost ('cost' by default). */
  readonly unit: LimitUnit;
  /** The largest cost one execution may take from this limit; a larger cost is an error, never a wait. */
  readonly capacity: number;
}

/** Token bucket and smooth (GCRA) limits share one algorithm: a bucket of `capacity` refilled continuously. */
export interface BucketLimit extends LimitBase {
  /** Always 'bucket'. */
  readonly kind: 'bucket';
  /** The builder: 'tokenBucket' or 'smooth'. */
  readonly algorithm: 'tokenBucket' | 'smooth';
  /** Milliseconds to refill one unit. */
  readonly interval: number;
}

/** At most `capacity` units in any window of `window` ms, counted in `segments` slices. */
export interface WindowLimit extends LimitBase {
  /** Always 'window'. */
  readonly kind: 'window';
  /** Always 'slidingWindow'. */
  readonly algorithm: 'slidingWindow';
  /** The window's length (ms). */
  readonly window: number;
  /** How many slices the window is counted in. */
  readonly segments: number;
  /** Length of one segment (window / segments). */
  readonly granule: number;
}

/**
 * A limit built by {@link tokenBucket}, {@link smooth} or {@link slidingWindow}, for {@link RateLimitOptions.limits}.
 */
export type RateLimit = BucketLimit | WindowLimit;

/** Options of {@link tokenBucket}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface TokenBucketOptions {
  /** Units refilled per `per` ms (continuously, not in steps). Required. */
  readonly rate: number;
  /** The refill period (ms). Default 1000. */
  readonly per?: number;
  /** The most units the bucket holds, i.e. the largest burst. Default: `rate`. */
  readonly capacity?: number;
  /** What the limit counts: 'calls' (1 per execution), or a unit of the cost. Default 'cost' (a plain numeric cost). */
  readonly unit?: LimitUnit;
  /** Names the limit in errors and events. Default e.g. '100 cost/s'. */
  readonly name?: string;
}

/** Options of {@link smooth}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface SmoothOptions {
  /** Units per `per` ms, spaced evenly: one unit every per/rate ms. Required. */
  readonly rate: number;
  /** Default 1000. */
  readonly per?: number;
  /**
   * Units that may pass back to back after an idle spell. Default 1 (strictly even spacing). Weighted executions
   * need a burst of at least their largest cost.
   */
  readonly burst?: number;
  /** What the limit counts: 'calls' (1 per execution), or a unit of the cost. Default 'cost' (a plain numeric cost). */
  readonly unit?: LimitUnit;
  /** Names the limit in errors and events. Default e.g. '100 cost/s smooth'. */
  readonly name?: string;
}

/** Options of {@link slidingWindow}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface SlidingWindowOptions {
  /** Units allowed in any window. Required. */
  readonly limit: number;
  /** Window length (ms). Required. */
  readonly window: number;
  /**
   * Slices per window (integer 1..1000). Usage is recorded per slice, so memory stays fixed; a unit is released
   * between `window` and `window + window/segments` ms after it was used (never early). Default 10.
   */
  readonly segments?: number;
  /** What the limit counts: 'calls' (1 per execution), or a unit of the cost. Default 'cost' (a plain numeric cost). */
  readonly unit?: LimitUnit;
  /** Names the limit in errors and events. Default e.g. '1000 cost/min'. */
  readonly name?: string;
}

/**
 * A bursty limit: up to `capacity` at once, refilled at `rate` per `per` ms.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function tokenBucket(options: TokenBucketOptions): BucketLimit {
  const o = requireOptions(options, 'rate');
  const { rate, per } = rateOf(o);
  const capacity = requirePositive('capacity', orDefault(o.capacity, rate));
  return bucketLimit('tokenBucket', o, rate, per, capacity, '');
}

/**
 * An evenly spaced limit (GCRA): one unit every per/rate ms, with `burst` units of tolerance.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function smooth(options: SmoothOptions): BucketLimit {
  const o = requireOptions(options, 'rate');
  const { rate, per } = rateOf(o);
  const burst = requirePositive('burst', orDefault(o.burst, 1));
  return bucketLimit('smooth', o, rate, per, burst, ' smooth');
}

/** A bucket limit's `rate` and `per` options, checked in that order. */
function rateOf(o: { readonly rate: unknown; readonly per?: unknown }): { rate: number; per: number } {
  const rate = requirePositive('rate', o.rate);
  const per = requirePositive('per', orDefault(o.per, 1000));
  return { rate, per };
}

/** The limit both bucket builders make (their `unit` and `name` options checked last, as for every limit). */
function bucketLimit(
  algorithm: BucketLimit['algorithm'],
  o: { readonly unit?: unknown; readonly name?: unknown },
  rate: number,
  per: number,
  capacity: number,
  nameSuffix: string,
): BucketLimit {
  const unit = requireUnit(o.unit);
  return Object.freeze({
    kind: 'bucket',
    algorithm,
    name: optionalString('name', o.name) ?? `${rate} ${unit}/${period(per)}${nameSuffix}`,
    unit,
    capacity,
    interval: per / rate,
  });
}

/**
 * At most `limit` units in any `window` ms.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function slidingWindow(options: SlidingWindowOptions): WindowLimit {
  const o = requireOptions(options, 'limit and window');
  const limit = requirePositive('limit', o.limit);
  const window = requirePositive('window', o.window);
  const segments = requireIntegerIn('segments', orDefault(o.segments, 10), 1, 1000);
  const unit = requireUnit(o.unit);
  return Object.freeze({
    kind: 'window',
    algorithm: 'slidingWindow',
    name: optionalString('name', o.name) ?? `${limit} ${unit}/${period(window)}`,
    unit,
    capacity: limit,
    window,
    segments,
    granule: window / segments,
  });
}

/** Checks a limit handed to rateLimit (it may not come from the builders above). */
export function checkLimit(value: unknown, index: number): RateLimit {
  const option = `limits[${index}]`;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError(
      option,
      `expected a limit (tokenBucket, smooth, slidingWindow), got ${describe(value)}`,
    );
  }
  const limit = value as RateLimit;
  if (limit.kind === 'bucket') {
    requirePositive(`${option}.interval`, limit.interval);
  } else if (limit.kind === 'window') {
    requirePositive(`${option}.window`, limit.window);
    requireInteger(`${option}.segments`, limit.segments, 1);
    if (limit.granule !== limit.window / limit.segments) {
      throw new InvalidOptionError(`${option}.granule`, 'expected window / segments');
    }
  } else {
    throw new InvalidOptionError(option, 'expected a limit made by tokenBucket, smooth or slidingWindow');
  }
  requirePositive(`${option}.capacity`, limit.capacity);
  requireNonEmptyString(`${option}.unit`, limit.unit);
  requireString(`${option}.name`, limit.name);
  return limit;
}

function requireUnit(unit: unknown): LimitUnit {
  return requireNonEmptyString('unit', orDefault(unit, 'cost'));
}

const PERIODS: ReadonlyArray<readonly [number, string]> = [
  [86_400_000, 'day'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1000, 's'],
];

/** '1000 ms' reads better as 's' in a limit's default name. */
function period(ms: number): string {
  for (const [length, label] of PERIODS) if (ms === length) return label;
  return `${ms}ms`;
}
