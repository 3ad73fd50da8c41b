import { requireIntegerIn } from '../internal/validate.js';

/** Most slices a window may be cut into. */
const MAX_SLICES = 1000;

/** Validates a `buckets` option: an integer in [1, 1000]. */
export function requireBuckets(value: unknown): number {
  return requireIntegerIn('buckets', value, 1, MAX_SLICES);
}

/**
 * The slice of `time` when time is cut into slices of `window / slices` ms (slice i holds [i * width, (i + 1) *
 * width)). Computed as floor(t * slices / window) so integer times never land in the wrong slice by rounding.
 */
export function sliceAt(time: number, window: number, slices: number): number {
  return Math.floor((time * slices) / window);
}
