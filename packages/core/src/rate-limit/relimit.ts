import { InvalidOptionError } from '../errors.js';
import { describe } from '../internal/validate.js';
import { checkLimit, type RateLimit } from './limits.js';

/**
 * Checks the limits handed to `setLimits` against those in force. A store keeps one state per limit, shaped by
 * its kind (a bucket's backlog, a window's ring of segments), so the usage already recorded carries over only to
 * limits of the same shape: as many, in the same order, of the same kind and unit, and windows with the same
 * `window` and `segments`. Their numbers (rate, per, capacity, burst, a window's limit) may change.
 */
export function checkRelimit(current: readonly RateLimit[], given: unknown): readonly RateLimit[] {
  const list = Array.isArray(given)
    ? (given as unknown[])
    : given === undefined || given === null
      ? []
      : [given];
  if (list.length !== current.length) {
    throw new InvalidOptionError(
      'limits',
      `expected ${current.length} limit(s) of the same kinds as before (the store keeps usage per limit), got ${describe(given)}`,
    );
  }
  return Object.freeze(
    list.map((value, i) => {
      const limit = checkLimit(value, i);
      const old = current[i]!;
      const same =
        limit.kind === old.kind &&
        limit.unit === old.unit &&
        (limit.kind === 'bucket' ||
          (old.kind === 'window' && limit.window === old.window && limit.segments === old.segments));
      if (!same) {
        throw new InvalidOptionError(
          `limits[${i}]`,
          `expected a ${old.kind === 'bucket' ? 'tokenBucket or smooth limit' : `slidingWindow of ${old.window} ms in ${old.segments} segments`} counting '${old.unit}', as before; only its numbers may change`,
        );
      }
      return limit;
    }),
  );
}
