import { type Clock, realClock } from '../clock.js';
import { InvalidOptionError, isInvalidOptionError } from '../errors.js';
import type { RetryGate } from '../retry/retry.js';

/**
 * The option validator of every Bulwark package (core's policies, @bulwark/http-status, the Gemini adapter and its
 * fake server; exported as `@bulwark/core/validate`). One set of rules everywhere:
 * - an omitted (undefined) option takes its default (`orDefault`, `optionsOf`); null is a value like any other, and
 *   is refused by the check that follows (never silently replaced by the default);
 * - a bad value throws InvalidOptionError naming the option by its path (`limits.gemini-2.5-pro.rpm`,
 *   `breaker.halfOpenAfter`): nested checks take the full path, and `nestedOptions` re-roots a nested factory's;
 * - messages read `expected <what>, got <the value, described>` (`describe` never prints more than 64 characters
 *   of a string, nor an object's contents).
 */

export function requireFiniteNonNegative(name: string, value: unknown): number {
  return requireAtLeast(name, value, 0);
}

export function requireFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidOptionError(name, `expected a finite number, got ${describe(value)}`);
  }
  return value;
}

/** A finite number >= min. */
export function requireAtLeast(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(name, `expected a finite number >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function requirePositive(name: string, value: unknown, allowInfinity = false): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value <= 0 ||
    (!allowInfinity && !Number.isFinite(value))
  ) {
    throw new InvalidOptionError(
      name,
      `expected a ${allowInfinity ? '' : 'finite '}number > 0, got ${describe(value)}`,
    );
  }
  return value;
}

export function requireInteger(name: string, value: unknown, min: number, allowInfinity = false): number {
  const ok =
    typeof value === 'number' &&
    ((allowInfinity && value === Number.POSITIVE_INFINITY) || (Number.isInteger(value) && value >= min));
  if (!ok) {
    throw new InvalidOptionError(
      name,
      `expected an integer >= ${min}${allowInfinity ? ' or Infinity' : ''}, got ${describe(value)}`,
    );
  }
  return value as number;
}

/** An integer in [min, max]. */
export function requireIntegerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `expected an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/** A finite number in [min, max]. */
export function requireNumberIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max) || !Number.isFinite(value)) {
    throw new InvalidOptionError(
      name,
      `expected a finite number in [${min}, ${max}], got ${describe(value)}`,
    );
  }
  return value;
}

/** A number >= 0: finite, or Infinity for "no limit". */
export function requireNonNegativeOrInfinity(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new InvalidOptionError(name, `expected a number >= 0 (or Infinity), got ${describe(value)}`);
  }
  return value;
}

export function requireRatio(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidOptionError(name, `expected a number in [0, 1], got ${describe(value)}`);
  }
  return value;
}

export function requireFunction<F>(name: string, value: unknown): F {
  if (typeof value !== 'function')
    throw new InvalidOptionError(name, `expected a function, got ${describe(value)}`);
  return value as F;
}

export function optionalFunction<F>(name: string, value: unknown): F | undefined {
  return value === undefined ? undefined : requireFunction<F>(name, value);
}

export function requireBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new InvalidOptionError(name, `expected a boolean, got ${describe(value)}`);
  return value;
}

export function optionalBoolean(name: string, value: unknown): boolean | undefined {
  return value === undefined ? undefined : requireBoolean(name, value);
}

export function requireString(name: string, value: unknown): string {
  if (typeof value !== 'string')
    throw new InvalidOptionError(name, `expected a string, got ${describe(value)}`);
  return value;
}

export function requireNonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionError(name, `expected a non-empty string, got ${describe(value)}`);
  }
  return value;
}

/** An array of non-empty strings (model names, methods...); `what` names them, for the message. */
export function requireNames(name: string, value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new InvalidOptionError(name, `expected an array of ${what}, got ${describeArray(value)}`);
  }
  return value;
}

function describeArray(value: unknown): string {
  if (!Array.isArray(value)) return describe(value);
  const bad = value.find((v) => typeof v !== 'string' || v === '');
  return `an array holding ${describe(bad)}`;
}

export function requireOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(
      name,
      `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
    );
  }
  return value as T;
}

export function requireObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError(name, `expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A plain record (an object that is not an array): options, or a table keyed by name. `what` is for the message. */
export function requireRecord<T = Record<string, unknown>>(
  name: string,
  value: unknown,
  what = 'an object',
): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(name, `expected ${what}, got ${describe(value)}`);
  }
  return value as T;
}

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

const NO_OPTIONS = Object.freeze({});

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
    throw new InvalidOptionError(
      'options',
      `expected an options object${required === undefined ? '' : ` with ${required}`}, got ${describe(value)}`,
    );
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

export function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new InvalidOptionError(name, `expected a string, got ${describe(value)}`);
}

/** An object that must have every method in `methods`; `what` says what it should be, for the message. */
export function requireMethods<T>(name: string, value: unknown, methods: readonly string[], what: string): T {
  const isObject = (typeof value === 'object' && value !== null) || typeof value === 'function';
  const missing = isObject
    ? methods.find((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
    : methods[0];
  if (missing !== undefined) {
    throw new InvalidOptionError(
      name,
      `expected ${what} (${methods.join(', ')}), got ${describeMissing(value, missing)}`,
    );
  }
  return value as T;
}

function describeMissing(value: unknown, missing: string): string {
  return typeof value === 'object' && value !== null
    ? `an object without a ${missing}() method`
    : describe(value);
}

const CLOCK_METHODS = ['now', 'setTimer', 'clearTimer'] as const;

/** A `clock` option: the real clock when omitted, else an object with now, setTimer and clearTimer. */
export function clockOf(value: unknown, name = 'clock'): Clock {
  return value === undefined ? realClock : requireMethods<Clock>(name, value, CLOCK_METHODS, 'a Clock');
}

const GATE_METHODS = ['recordAttempt', 'tryAcquireRetry'] as const;

/** An optional `budget` option: a RetryGate (see retryBudget()). */
export function optionalRetryGate(value: unknown, name = 'budget'): RetryGate | undefined {
  return value === undefined
    ? undefined
    : requireMethods<RetryGate>(name, value, GATE_METHODS, 'a RetryGate such as retryBudget()');
}

/** An AbortSignal, from this realm or another (or a faithful polyfill): what the policies use of it. */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof AbortSignal === 'function' && value instanceof AbortSignal) return true;
  const signal = value as Partial<AbortSignal> | null;
  return (
    typeof signal === 'object' &&
    signal !== null &&
    typeof signal.aborted === 'boolean' &&
    typeof signal.addEventListener === 'function' &&
    typeof signal.removeEventListener === 'function'
  );
}

/**
 * An optional AbortSignal. As in fetch's `RequestInit`, null means "no signal" (the one place null is not refused:
 * DOM APIs hand signals around as `AbortSignal | null`).
 */
export function optionalSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isAbortSignal(value)) {
    throw new InvalidOptionError(name, `expected an AbortSignal, got ${describe(value)}`);
  }
  return value;
}

/** Longest part of a string value quoted in a message: a hostile value must not make a huge error. */
const MAX_QUOTED = 64;

/** A value as a message shows it: strings quoted (cut at 64 characters), objects by kind only. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}...` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
