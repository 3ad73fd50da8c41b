import { requireOneOf } from '../internal/validate.js';
import type { RandomSource } from './backoff.js';

/**
 * Jitter that randomises one delay on its own, with no memory of the previous ones: 'none' (the exact delay),
 * 'full' (uniform in [0, delay]) or 'equal' (delay/2 plus uniform in [0, delay/2]). Offered by `constant`,
 * `linear` and `exponential`.
 */
export type SimpleJitter = 'none' | 'full' | 'equal';

const SIMPLE_JITTERS: readonly SimpleJitter[] = ['none', 'full', 'equal'];

/** Checks a `jitter` option of `constant` or `linear` (default 'none'). */
export function requireSimpleJitter(value: unknown): SimpleJitter {
  return value === undefined ? 'none' : requireOneOf('jitter', value, SIMPLE_JITTERS);
}

/**
 * `ceiling` randomised by `jitter`, within [0, ceiling] (or [ceiling/2, ceiling] for 'equal'). `rand` must be
 * safe (a `safeRandom`): a draw in [0, 1).
 */
export function applyJitter(jitter: SimpleJitter, ceiling: number, rand: RandomSource): number {
  if (jitter === 'none') return ceiling;
  // min() guards against rounding pushing a sum past the ceiling.
  if (jitter === 'full') return Math.min(ceiling, rand() * ceiling);
  return Math.min(ceiling, ceiling / 2 + (rand() * ceiling) / 2);
}
