/** Checks of one option's value: numbers, booleans, strings, functions, names, one-of, objects. */
import { InvalidOptionError } from '../../errors.js';
import { describe } from './describe.js';

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

export function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new InvalidOptionError(name, `expected a string, got ${describe(value)}`);
}
