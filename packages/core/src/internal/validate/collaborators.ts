/** Checks of the objects a policy is handed to work with: a clock, a retry gate, an AbortSignal. */
import { type Clock, realClock } from '../../clock.js';
import { InvalidOptionError } from '../../errors.js';
import type { RetryGate } from '../../retry/retry.js';
import { describe } from './describe.js';
import { invalid } from './invalid.js';

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
    ? `an object with no ${missing}() method`
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
    throw invalid(name, 'an AbortSignal', value);
  }
  return value;
}
