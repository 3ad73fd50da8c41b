/** Checks of one option's value: numbers, booleans, strings, functions, names, one-of, objects. */
import { InvalidOptionError } from '../../errors.js';
import { describe } from './describe.js';
import { invalid } from './invalid.js';

export function requireFiniteNonNegative(name: string, value: unknown): number {
  return requireAtLeast(name, value, 0);
}

export function requireFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(name, 'a finite number', value);
  }
  return value;
}

/** A finite number >= min. */
export function requireAtLeast(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalid(name, `a finite number >= ${min}`, value);
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
    throw invalid(name, `a ${allowInfinity ? '' : 'finite '}number > 0`, value);
  }
  return value;
}

export function requireInteger(name: string, value: unknown, min: number, allowInfinity = false): number {
  const ok =
    typeof value === 'number' &&
    ((allowInfinity && value === Number.POSITIVE_INFINITY) || (Number.isInteger(value) && value >= min));
  if (!ok) {
    throw invalid(name, `an integer >= ${min}${allowInfinity ? ' or Infinity' : ''}`, value);
  }
  return value as number;
}

/** An integer in [min, max]. */
export function requireIntegerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

/** A finite number in [min, max]. */
export function requireNumberIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max) || !Number.isFinite(value)) {
    throw invalid(name, `a finite number in [${min}, ${max}]`, value);
  }
  return value;
}

/** A number >= 0: finite, or Infinity for "no limit". */
export function requireNonNegativeOrInfinity(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0)) {
    throw invalid(name, 'a number >= 0 (or Infinity)', value);
  }
  return value;
}

export function requireRatio(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw invalid(name, 'a number in [0, 1]', value);
  }
  return value;
}

/** A ratio in (0, 1]: a threshold or a percentile, where 0 would mean "always" (a breaker opening on successes). */
export function requirePositiveRatio(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw invalid(name, 'a number in (0, 1]', value);
  }
  return value;
}

export function requireFunction<F>(name: string, value: unknown): F {
  if (typeof value !== 'function') throw invalid(name, 'a function', value);
  return value as F;
}

export function optionalFunction<F>(name: string, value: unknown): F | undefined {
  return value === undefined ? undefined : requireFunction<F>(name, value);
}

export function requireBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(name, 'a boolean', value);
  return value;
}

export function optionalBoolean(name: string, value: unknown): boolean | undefined {
  return value === undefined ? undefined : requireBoolean(name, value);
}

export function requireString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(name, 'a string', value);
  return value;
}

export function requireNonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw invalid(name, 'a non-empty string', value);
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
    throw invalid(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

export function requireObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw invalid(name, 'an object', value);
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
    throw invalid(name, what, value);
  }
  return value as T;
}

export function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw invalid(name, 'a string', value);
}
