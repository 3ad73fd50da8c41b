import { InvalidOptionError } from '../errors.js';
import { describe } from '../internal/validate.js';

/** A ratio threshold in (0, 1]: 0 would open the circuit on a run of successes. */
export function requireFailureRatio(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new InvalidOptionError(name, `expected a number in (0, 1], got ${describe(value)}`);
  }
  return value;
}
