/** Checks of an options argument as a whole: omitted or not, its policy name, defaults, nested options' paths. */
import { InvalidOptionError, isInvalidOptionError } from '../../errors.js';
import { invalid } from './invalid.js';
import { optionalString } from './values.js';

/**
 * Runs `build` (a factory given options found under `path`) and re-throws its InvalidOptionError with the option
 * named by its full path: `breaker.halfOpenAfter`, not `halfOpenAfter`. Other errors pass through.
 */
export function nestedOptions<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!isInvalidOptionError(error)) throw error;
    const prefix = `Invalid option "${error.option}": `;
    const detail = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    throw new InvalidOptionError(`${path}.${error.option}`, detail);
  }
}

/**
 * `value`, or `fallback` when it is undefined. Unlike `??`, null is kept, so the check that follows refuses it
 * instead of silently taking the default.
 */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

const NO_OPTIONS = /* @__PURE__ */ Object.freeze({});

/**
 * An options argument that may be omitted: undefined gives an empty object; null, an array or a non-object
 * throws naming `options` (never a "Cannot read properties" later).
 */
export function optionsOf<T extends object>(value: T | undefined): T {
  if (value === undefined) return NO_OPTIONS as T;
  return requireOptions(value);
}

/** An options argument that must be given (it has a required field). */
export function requireOptions<T extends object>(value: T, required?: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('options', `an options object${required === undefined ? '' : ` with ${required}`}`, value);
  }
  return value;
}

/**
 * A policy's name from its options, checked before anything else (it is needed first, for `super()`): the
 * options must be an object (or undefined unless `required` names what they must hold) and `name` a string.
 */
export function policyName(
  options: { readonly name?: unknown } | undefined,
  fallback: string,
  required?: string,
): string {
  const o = required === undefined ? optionsOf(options) : requireOptions(options!, required);
  return optionalString('name', o.name) ?? fallback;
}
