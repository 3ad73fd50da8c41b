import { InvalidOptionError } from '../../errors.js';
import { describe } from './describe.js';

/**
 * The error of a check that failed: `Invalid option "<name>": expected <expected>, got <value, described>`. Every
 * check builds its message here, so each carries only what it expects.
 */
export function invalid(name: string, expected: string, value: unknown): InvalidOptionError {
  return new InvalidOptionError(name, `expected ${expected}, got ${describe(value)}`);
}
