import { InvalidOptionError } from '../errors.js';
import { describe } from '../internal/validate.js';
import { checkLimit, type RateLimit, type WindowLimit } from './limits.js';

/**
 * Checks the limits handed to `setLimits` against those in force. A store keeps one state per limit, shaped by
 * its kind (a bucket's backlog, a window's ring of segments), so the usage already recorded carries over only to
 * limits of the same shape: as many, in the same order, of the same kind and unit, and windows with the same
 * `window` and `segments`. Their numbers (rate, per, capacity, burst, a window's limit) may change.
 */
export function checkRelimit(current: readonly RateLimit[], given: unknown): readonly RateLimit[] {
  const list = Array.isArray(given) ? (given as unknown[]) : given == null ? [] : [given];
  if (list.length !== current.length) {
    throw new InvalidOptionError(
      'limits',
      `expected ${current.length} limit(s) as before, got ${describe(given)}`,
    );
  }
  return Object.freeze(
    list.map((value, i) => {
      const limit = checkLimit(value, i);
      const old = current[i] as WindowLimit;
      if (
        limit.kind !== old.kind ||
        limit.unit !== old.unit ||
        (limit.kind === 'window' && (limit.window !== old.window || limit.segments !== old.segments))
      ) {
        throw new InvalidOptionError(
          `limits[${i}]`,
          'expected the kind, unit and window of the limit it replaces',
        );
      }
      return limit;
    }),
  );
}
