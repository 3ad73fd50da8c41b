/**
 * The exact message of each check of `@bulwark/core/validate`: what it expects, then the value it got. (The
 * property test in validate.test.ts pins the shape; this pins each check's "expected" part.)
 */
import { describe, expect, it } from 'vitest';
import { circuitBreaker, countWindow, isInvalidOptionError, realClock } from '../../src/index.js';
import * as v from '../../src/validate.js';
import { thrown } from '../support/helpers.js';

/** The message of what `check` throws; fails when it throws no InvalidOptionError. */
function messageOf(check: () => unknown): string {
  const error = thrown(check);
  expect(isInvalidOptionError(error)).toBe(true);
  return (error as Error).message;
}

describe('validator messages', () => {
  it.each([
    [() => v.requireFinite('x', Number.POSITIVE_INFINITY), 'expected a finite number, got Infinity'],
    [() => v.requireFiniteNonNegative('x', -1), 'expected a finite number >= 0, got -1'],
    [() => v.requireAtLeast('x', 0, 1), 'expected a finite number >= 1, got 0'],
    [() => v.requireAtLeast('x', Number.NaN, 1), 'expected a finite number >= 1, got NaN'],
    [() => v.requirePositive('x', 0), 'expected a finite number > 0, got 0'],
    [() => v.requirePositive('x', Number.POSITIVE_INFINITY), 'expected a finite number > 0, got Infinity'],
    [() => v.requirePositive('x', -1, true), 'expected a number > 0, got -1'],
    [() => v.requirePositive('x', Number.NaN, true), 'expected a number > 0, got NaN'],
    [() => v.requireInteger('x', 0.5, 1), 'expected an integer >= 1, got 0.5'],
    [() => v.requireInteger('x', 0, 1, true), 'expected an integer >= 1 or Infinity, got 0'],
    [
      () => v.requireInteger('x', Number.NEGATIVE_INFINITY, 0, true),
      'expected an integer >= 0 or Infinity, got -Infinity',
    ],
    [() => v.requireIntegerIn('x', 0, 1, 9), 'expected an integer in [1, 9], got 0'],
    [() => v.requireIntegerIn('x', 10, 1, 9), 'expected an integer in [1, 9], got 10'],
    [() => v.requireNumberIn('x', 0, 1, 9), 'expected a finite number in [1, 9], got 0'],
    [() => v.requireNumberIn('x', 9.5, 1, 9), 'expected a finite number in [1, 9], got 9.5'],
    [() => v.requireNonNegativeOrInfinity('x', -1), 'expected a number >= 0 (or Infinity), got -1'],
    [() => v.requireRatio('x', 2), 'expected a number in [0, 1], got 2'],
    [() => v.requireFunction('x', 5), 'expected a function, got 5'],
    [() => v.optionalFunction('x', null), 'expected a function, got null'],
    [() => v.requireBoolean('x', 'yes'), 'expected a boolean, got "yes"'],
    [() => v.optionalBoolean('x', 0), 'expected a boolean, got 0'],
    [() => v.requireString('x', 5), 'expected a string, got 5'],
    [() => v.optionalString('x', null), 'expected a string, got null'],
    [() => v.requireNonEmptyString('x', ''), 'expected a non-empty string, got ""'],
    [() => v.requireNonEmptyString('x', 5), 'expected a non-empty string, got 5'],
    [
      () => v.requireNames('x', ['a', ''], 'model names'),
      'expected an array of model names, got an array holding ""',
    ],
    [
      () => v.requireNames('x', ['a', 7], 'model names'),
      'expected an array of model names, got an array holding 7',
    ],
    [() => v.requireNames('x', 'a', 'model names'), 'expected an array of model names, got "a"'],
    [() => v.requireOneOf('x', 'c', ['a', 'b']), "expected one of 'a', 'b', got \"c\""],
    [() => v.requireObject('x', null), 'expected an object, got null'],
    [() => v.requireObject('x', 'o'), 'expected an object, got "o"'],
    [() => v.requireRecord('x', []), 'expected an object, got an array'],
    [() => v.requireRecord('x', [], 'a table of limits'), 'expected a table of limits, got an array'],
    [() => v.optionalSignal('x', {}), 'expected an AbortSignal, got an object'],
  ])('%#: %s', (check, expected) => {
    expect(messageOf(check)).toBe(`Invalid option "x": ${expected}`);
  });

  it('an object missing a method is named by the first method it lacks; anything else by its value', () => {
    const methods = ['now', 'setTimer', 'clearTimer'];
    expect(messageOf(() => v.requireMethods('x', { now() {} }, methods, 'a Clock'))).toBe(
      'Invalid option "x": expected a Clock (now, setTimer, clearTimer), got an object with no setTimer() method',
    );
    expect(messageOf(() => v.requireMethods('x', 5, methods, 'a Clock'))).toBe(
      'Invalid option "x": expected a Clock (now, setTimer, clearTimer), got 5',
    );
    expect(messageOf(() => v.requireMethods('x', () => 0, methods, 'a Clock'))).toBe(
      'Invalid option "x": expected a Clock (now, setTimer, clearTimer), got a function',
    );
    // A function carrying the methods is accepted, like an object.
    const clockFunction = Object.assign(() => 0, { now: () => 0, setTimer: () => 0, clearTimer: () => {} });
    expect(v.requireMethods('x', clockFunction, methods, 'a Clock')).toBe(clockFunction);
  });

  it('a clock and a retry gate are checked under their option names', () => {
    expect(messageOf(() => v.clockOf({}))).toBe(
      'Invalid option "clock": expected a Clock (now, setTimer, clearTimer), got an object with no now() method',
    );
    expect(messageOf(() => v.clockOf({}, 'server.clock'))).toContain('Invalid option "server.clock"');
    expect(v.clockOf(undefined)).toBe(realClock);
    expect(messageOf(() => v.optionalRetryGate({ recordAttempt() {} }))).toBe(
      'Invalid option "budget": expected a RetryGate such as retryBudget() (recordAttempt, tryAcquireRetry), got an object with no tryAcquireRetry() method',
    );
    expect(messageOf(() => v.optionalRetryGate(5, 'gate'))).toContain('Invalid option "gate"');
  });

  it('an options argument: its message says what it must hold', () => {
    expect(messageOf(() => v.optionsOf(5 as never))).toBe(
      'Invalid option "options": expected an options object, got 5',
    );
    expect(messageOf(() => v.requireOptions([] as never, 'maxConcurrent'))).toBe(
      'Invalid option "options": expected an options object with maxConcurrent, got an array',
    );
    expect(messageOf(() => v.policyName(undefined, 'p', 'limits'))).toBe(
      'Invalid option "options": expected an options object with limits, got undefined',
    );
    expect(v.policyName(undefined, 'p')).toBe('p');
    expect(v.policyName({ name: 'mine' }, 'p')).toBe('mine');
    expect(messageOf(() => v.policyName({ name: 5 }, 'p'))).toBe(
      'Invalid option "name": expected a string, got 5',
    );
  });

  it('a ratio that must be above 0 says so (a breaker failureRatio)', () => {
    const error = thrown(() => circuitBreaker({ strategy: countWindow({ size: 10, failureRatio: 0 }) }));
    expect(isInvalidOptionError(error) && error.message).toContain('expected a number in (0, 1], got 0');
  });

  it('requireObject takes any object (an array included) and nothing else', () => {
    for (const value of [{}, [], new Date(0)]) expect(v.requireObject('x', value)).toBe(value);
    expect(messageOf(() => v.requireObject('x', () => 1))).toBe(
      'Invalid option "x": expected an object, got a function',
    );
  });

  it('describes each kind of value the same way', () => {
    expect(v.describe('short')).toBe('"short"');
    expect(v.describe('x'.repeat(64))).toBe(`"${'x'.repeat(64)}"`);
    expect(v.describe('x'.repeat(65))).toBe(`"${'x'.repeat(64)}..."`);
    expect(v.describe(1.5)).toBe('1.5');
    expect(v.describe(false)).toBe('false');
    expect(v.describe(null)).toBe('null');
    expect(v.describe(undefined)).toBe('undefined');
    expect(v.describe(() => 1)).toBe('a function');
    expect(v.describe(10n)).toBe('a bigint');
    expect(v.describe(new Date(0))).toBe('an object');
  });
});
