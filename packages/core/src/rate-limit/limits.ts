import { InvalidOptionError } from '../errors.js';
import { describe, orDefault, requireInteger, requirePositive } from '../internal/validate.js';

/**
 * What a limit counts. `'calls'` counts every execution as 1 whatever its cost; any other unit counts the
 * execution's cost in that unit (`'cost'`, the default, takes a plain numeric cost).
 */
export type LimitUnit = string;

interface LimitBase {
  /** Names the limit in errors and events, e.g. '1000 calls/min'. */
  readonly name: string;
  readonly unit: LimitUnit;
  /** The largest cost one execution may take from this limit; a larger cost is an error, never a wait. */
  readonly capacity: number;
}

/** Token bucket and smooth (GCRA) limits share one algorithm: a bucket of `capacity` refilled continuously. */
export interface BucketLimit extends LimitBase {
  readonly kind: 'bucket';
  readonly algorithm: 'tokenBucket' | 'smooth';
  /** Milliseconds to refill one unit. */
  readonly interval: number;
}

/** At most `capacity` units in any window of `window` ms, counted in `segments` slices. */
export interface WindowLimit extends LimitBase {
  readonly kind: 'window';
  readonly algorithm: 'slidingWindow';
  readonly window: number;
  readonly segments: number;
  /** Length of one segment (window / segments). */
  readonly granule: number;
}

export type RateLimit = BucketLimit | WindowLimit;

export interface TokenBucketOptions {
  /** Units refilled per `per` ms (continuously, not in steps). Required. */
  readonly rate: number;
  /** The refill period (ms). Default 1000. */
  readonly per?: number;
  /** The most units the bucket holds, i.e. the largest burst. Default: `rate`. */
  readonly capacity?: number;
  readonly unit?: LimitUnit;
  readonly name?: string;
}

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
  readonly unit?: LimitUnit;
  readonly name?: string;
}

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
  readonly unit?: LimitUnit;
  readonly name?: string;
}

/** A bursty limit: up to `capacity` at once, refilled at `rate` per `per` ms. */
export function tokenBucket(options: TokenBucketOptions): BucketLimit {
  const o = requireOptions('tokenBucket', options);
  const rate = requirePositive('rate', o.rate);
  const per = requirePositive('per', orDefault(o.per, 1000));
  const capacity = requirePositive('capacity', orDefault(o.capacity, rate));
  const unit = requireUnit(o.unit);
  return Object.freeze({
    kind: 'bucket',
    algorithm: 'tokenBucket',
    name: requireName(o.name) ?? `${rate} ${unit}/${period(per)}`,
    unit,
    capacity,
    interval: per / rate,
  });
}

/** An evenly spaced limit (GCRA): one unit every per/rate ms, with `burst` units of tolerance. */
export function smooth(options: SmoothOptions): BucketLimit {
  const o = requireOptions('smooth', options);
  const rate = requirePositive('rate', o.rate);
  const per = requirePositive('per', orDefault(o.per, 1000));
  const burst = requirePositive('burst', orDefault(o.burst, 1));
  const unit = requireUnit(o.unit);
  return Object.freeze({
    kind: 'bucket',
    algorithm: 'smooth',
    name: requireName(o.name) ?? `${rate} ${unit}/${period(per)} smooth`,
    unit,
    capacity: burst,
    interval: per / rate,
  });
}

/** At most `limit` units in any `window` ms. */
export function slidingWindow(options: SlidingWindowOptions): WindowLimit {
  const o = requireOptions('slidingWindow', options);
  const limit = requirePositive('limit', o.limit);
  const window = requirePositive('window', o.window);
  const segments = requireInteger('segments', orDefault(o.segments, 10), 1);
  if (segments > 1000) throw new InvalidOptionError('segments', `expected at most 1000, got ${segments}`);
  const unit = requireUnit(o.unit);
  return Object.freeze({
    kind: 'window',
    algorithm: 'slidingWindow',
    name: requireName(o.name) ?? `${limit} ${unit}/${period(window)}`,
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
  if (typeof limit.unit !== 'string' || limit.unit === '') {
    throw new InvalidOptionError(
      `${option}.unit`,
      `expected a non-empty string, got ${describe(limit.unit)}`,
    );
  }
  if (typeof limit.name !== 'string') {
    throw new InvalidOptionError(`${option}.name`, `expected a string, got ${describe(limit.name)}`);
  }
  return limit;
}

function requireOptions<T>(builder: string, options: T): T {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError(
      'options',
      `${builder}() expected an options object, got ${describe(options)}`,
    );
  }
  return options;
}

function requireUnit(unit: unknown): LimitUnit {
  if (unit === undefined) return 'cost';
  if (typeof unit !== 'string' || unit === '') {
    throw new InvalidOptionError('unit', `expected a non-empty string, got ${describe(unit)}`);
  }
  return unit;
}

function requireName(name: unknown): string | undefined {
  if (name === undefined || typeof name === 'string') return name;
  throw new InvalidOptionError('name', `expected a string, got ${describe(name)}`);
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
