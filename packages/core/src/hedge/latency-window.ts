import { InvalidOptionError } from '../errors.js';
import {
  orDefault,
  requireFiniteNonNegative,
  requireIntegerIn,
  requireNonNegativeOrInfinity,
  requirePositiveRatio,
} from '../internal/validate.js';

/**
 * A hedge delay taken from the latencies the policy observes: hedge once an attempt has run longer than the
 * `percentile` of recent successful attempts (failsafe-go's quantile hedging). A bad value throws
 * {@link InvalidOptionError} naming it (`delay.percentile`...).
 */
export interface PercentileDelay {
  /** Which latency to hedge past, in (0, 1]: 0.95 hedges an attempt slower than 95% of recent ones. Required. */
  readonly percentile: number;
  /** The shortest delay (ms, >= 0). Default 0. */
  readonly min?: number;
  /** The longest delay (ms, >= min, or Infinity). Default Infinity. */
  readonly max?: number;
  /** How many recent latencies (of attempts that succeeded) the percentile is taken over (integer 1..10 000). Default 100. */
  readonly window?: number;
  /** Latencies needed before the percentile is used (integer 1..window). Default 20, or `window` if smaller. */
  readonly minSamples?: number;
  /**
   * The delay while fewer than `minSamples` latencies are known (warm-up; ms >= 0, or Infinity). Default `max`,
   * so with no `max` a new policy does not hedge until it has seen `minSamples` successes.
   */
  readonly initial?: number;
}

/** The latencies of recent successful attempts, kept sorted, and the delay they give. */
export class LatencyWindow {
  declare private readonly percentile: number;
  declare private readonly min: number;
  declare private readonly max: number;
  declare private readonly size: number;
  declare private readonly minSamples: number;
  declare private readonly initial: number;
  /** Latencies in arrival order (a ring once full) and the same values sorted. */
  private readonly ring: number[] = [];
  private readonly sorted: number[] = [];
  private oldest = 0;

  constructor(options: PercentileDelay) {
    this.percentile = requirePositiveRatio('delay.percentile', options.percentile);
    this.min = requireFiniteNonNegative('delay.min', orDefault(options.min, 0));
    this.max = requireNonNegativeOrInfinity('delay.max', orDefault(options.max, Number.POSITIVE_INFINITY));
    if (this.max < this.min) {
      throw new InvalidOptionError(
        'delay.max',
        `expected a number >= delay.min (${this.min}), got ${this.max}`,
      );
    }
    this.size = requireIntegerIn('delay.window', orDefault(options.window, 100), 1, 10_000);
    this.minSamples = requireIntegerIn(
      'delay.minSamples',
      orDefault(options.minSamples, Math.min(20, this.size)),
      1,
      this.size,
    );
    this.initial = requireNonNegativeOrInfinity('delay.initial', orDefault(options.initial, this.max));
  }

  /** Records the latency (ms) of an attempt that succeeded, forgetting the oldest once the window is full. */
  record(ms: number): void {
    const sorted = this.sorted;
    if (this.ring.length < this.size) {
      this.ring.push(ms);
    } else {
      const evicted = this.ring[this.oldest]!;
      this.ring[this.oldest] = ms;
      this.oldest = (this.oldest + 1) % this.size;
      sorted.splice(lowerBound(sorted, evicted), 1);
    }
    sorted.splice(lowerBound(sorted, ms), 0, ms);
  }

  /** The delay before a hedge: the percentile of the window within [min, max], or `initial` while warming up. */
  delay(): number {
    const n = this.sorted.length;
    if (n < this.minSamples) return this.initial;
    const value = this.sorted[Math.max(0, Math.ceil(this.percentile * n) - 1)]!;
    return Math.min(this.max, Math.max(this.min, value));
  }
}

/** The first index of `sorted` whose value is >= `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
