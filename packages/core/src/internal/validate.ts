import { type Clock, realClock } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import type { RetryGate } from '../retry.js';

/** Option checks shared by every policy: each throws InvalidOptionError naming the option. */

export function requireFiniteNonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(name, `expected a finite number >= 0, got ${describe(value)}`);
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

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'function') return 'a function';
  return Array.isArray(value) ? 'an array' : `an ${typeof value}`;
}
