/**
 * The option validator (`@bulwark/core/validate`) every package checks its options with: each check either
 * returns the value it was given, unchanged, or throws InvalidOptionError naming the option, in one message style;
 * undefined takes the default and null never does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadlineSignal, InvalidOptionError, isInvalidOptionError, realClock } from '../src/index.js';
import * as v from '../src/validate.js';

type Check = (name: string, value: unknown) => unknown;

interface Rule {
  readonly check: Check;
  /** What the check must accept, written out independently of the implementation. */
  readonly accepts: (value: unknown) => boolean;
}

const isNumber = (x: unknown): x is number => typeof x === 'number';
const isRecord = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x);

const rules: Record<string, Rule> = {
  requireFiniteNonNegative: {
    check: v.requireFiniteNonNegative,
    accepts: (x) => isNumber(x) && Number.isFinite(x) && x >= 0,
  },
  'requireAtLeast(1)': {
    check: (n, x) => v.requireAtLeast(n, x, 1),
    accepts: (x) => isNumber(x) && Number.isFinite(x) && x >= 1,
  },
  requireFinite: { check: v.requireFinite, accepts: (x) => isNumber(x) && Number.isFinite(x) },
  requirePositive: { check: v.requirePositive, accepts: (x) => isNumber(x) && Number.isFinite(x) && x > 0 },
  'requirePositive(Infinity allowed)': {
    check: (n, x) => v.requirePositive(n, x, true),
    accepts: (x) => isNumber(x) && x > 0,
  },
  'requireInteger(0)': {
    check: (n, x) => v.requireInteger(n, x, 0),
    accepts: (x) => Number.isInteger(x) && (x as number) >= 0,
  },
  'requireInteger(1, Infinity allowed)': {
    check: (n, x) => v.requireInteger(n, x, 1, true),
    accepts: (x) => x === Number.POSITIVE_INFINITY || (Number.isInteger(x) && (x as number) >= 1),
  },
  'requireIntegerIn(1, 1000)': {
    check: (n, x) => v.requireIntegerIn(n, x, 1, 1000),
    accepts: (x) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 1000,
  },
  'requireNumberIn(0.5, 20)': {
    check: (n, x) => v.requireNumberIn(n, x, 0.5, 20),
    accepts: (x) => isNumber(x) && x >= 0.5 && x <= 20,
  },
  requireNonNegativeOrInfinity: {
    check: v.requireNonNegativeOrInfinity,
    accepts: (x) => isNumber(x) && x >= 0,
  },
  requireRatio: { check: v.requireRatio, accepts: (x) => isNumber(x) && x >= 0 && x <= 1 },
  requireBoolean: { check: v.requireBoolean, accepts: (x) => typeof x === 'boolean' },
  requireString: { check: v.requireString, accepts: (x) => typeof x === 'string' },
  requireNonEmptyString: {
    check: v.requireNonEmptyString,
    accepts: (x) => typeof x === 'string' && x !== '',
  },
  requireFunction: { check: v.requireFunction, accepts: (x) => typeof x === 'function' },
  requireRecord: { check: v.requireRecord, accepts: isRecord },
  'requireNames(models)': {
    check: (n, x) => v.requireNames(n, x, 'model names'),
    accepts: (x) => Array.isArray(x) && x.every((m) => typeof m === 'string' && m !== ''),
  },
  "requireOneOf('a', 'b')": {
    check: (n, x) => v.requireOneOf(n, x, ['a', 'b']),
    accepts: (x) => x === 'a' || x === 'b',
  },
  'requireMethods(now, setTimer, clearTimer)': {
    check: (n, x) => v.requireMethods(n, x, ['now', 'setTimer', 'clearTimer'], 'a Clock'),
    accepts: (x) =>
      ((typeof x === 'object' && x !== null) || typeof x === 'function') &&
      ['now', 'setTimer', 'clearTimer'].every((m) => typeof (x as Record<string, unknown>)[m] === 'function'),
  },
};

/** Anything, with the edges numeric checks meet more often than fc.anything() produces them. */
const values = fc.oneof(
  fc.anything(),
  fc.double(),
  fc.integer({ min: -5, max: 1005 }),
  fc.constantFrom(
    0,
    -0,
    1,
    0.5,
    1000,
    1001,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    null,
    undefined,
    '',
    'a',
    '5',
    [],
    [''],
    ['x'],
    {},
    () => 0,
    realClock,
    { now: () => 0, setTimer: () => 0 },
  ),
  fc.string({ minLength: 100, maxLength: 10_000 }),
);

const MESSAGE = /^Invalid option "limits\.gemini-2\.5-pro\.rpm": expected .+, got .+$/s;

describe('validator checks', () => {
  for (const [label, { check, accepts }] of Object.entries(rules)) {
    it(`${label}: returns what it accepts unchanged, refuses the rest naming the option path`, () => {
      fc.assert(
        fc.property(values, (value) => {
          let error: unknown;
          let result: unknown;
          try {
            result = check('limits.gemini-2.5-pro.rpm', value);
          } catch (e) {
            error = e;
          }
          if (accepts(value)) {
            expect(error).toBeUndefined();
            expect(Object.is(result, value)).toBe(true);
            return;
          }
          expect(isInvalidOptionError(error), `${label} accepted ${v.describe(value)}`).toBe(true);
          expect(error).toBeInstanceOf(InvalidOptionError);
          const { option, message } = error as InvalidOptionError;
          expect(option).toBe('limits.gemini-2.5-pro.rpm');
          expect(message).toMatch(MESSAGE);
          // A hostile value never makes a huge message.
          expect(message.length).toBeLessThan(400);
        }),
        { numRuns: 400 },
      );
    });
  }

  it('null is refused by every check, undefined by every required one', () => {
    for (const [label, { check }] of Object.entries(rules)) {
      for (const value of [null, undefined]) {
        expect(() => check('x', value), `${label}(${String(value)})`).toThrow(InvalidOptionError);
      }
    }
  });

  it('the optional checks pass undefined through and refuse null', () => {
    for (const optional of [v.optionalBoolean, v.optionalString, v.optionalFunction]) {
      const check = optional as (name: string, value: unknown) => unknown;
      expect(check('x', undefined)).toBeUndefined();
      expect(() => check('x', null)).toThrow(InvalidOptionError);
    }
    expect(v.optionalRetryGate(undefined)).toBeUndefined();
    expect(() => v.optionalRetryGate(null)).toThrow(expect.objectContaining({ option: 'budget' }));
    expect(v.clockOf(undefined)).toBe(realClock);
    expect(() => v.clockOf(null)).toThrow(expect.objectContaining({ option: 'clock' }));
  });
});

describe('defaults: undefined takes the default, null does not', () => {
  it('orDefault replaces only undefined, so the check after it sees null', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (value, fallback) => {
        expect(v.orDefault(value, fallback)).toBe(value === undefined ? fallback : value);
      }),
    );
    expect(() => v.requirePositive('maxWait', v.orDefault(null, 60_000))).toThrow(/"maxWait"/);
  });

  it('optionsOf: undefined is an empty, frozen options object; anything but a plain object is refused', () => {
    const none = v.optionsOf(undefined);
    expect(none).toEqual({});
    expect(Object.isFrozen(none)).toBe(true);
    const given = { a: 1 };
    expect(v.optionsOf(given)).toBe(given);
    for (const bad of [null, 0, 'options', true, [], () => ({})]) {
      expect(() => v.optionsOf(bad as never)).toThrow(
        expect.objectContaining({ option: 'options', message: expect.stringMatching(/expected an options/) }),
      );
    }
  });
});

describe('nestedOptions', () => {
  it("names a nested factory's bad option by its full path, message kept", () => {
    const build = () =>
      v.nestedOptions('breaker', () => v.requirePositive('halfOpenAfter', v.orDefault(null, 30_000)));
    expect(build).toThrow(
      expect.objectContaining({
        option: 'breaker.halfOpenAfter',
        message: 'Invalid option "breaker.halfOpenAfter": expected a finite number > 0, got null',
      }),
    );
    const twice = () => v.nestedOptions('a', () => v.nestedOptions('b', () => v.requireBoolean('c', 1)));
    expect(twice).toThrow(expect.objectContaining({ option: 'a.b.c' }));
  });

  it('returns what the factory built, and lets any other error through untouched', () => {
    expect(v.nestedOptions('x', () => 42)).toBe(42);
    const bug = new TypeError('a bug');
    expect(() =>
      v.nestedOptions('x', () => {
        throw bug;
      }),
    ).toThrow(bug);
  });
});

describe('describe', () => {
  it('shows any value in a bounded, single description, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string({ maxLength: 5000 }), fc.bigInt()), (value) => {
        const text = v.describe(value);
        expect(typeof text).toBe('string');
        expect(text.length).toBeLessThanOrEqual(72);
      }),
    );
    expect(v.describe('x'.repeat(100))).toBe(`"${'x'.repeat(64)}..."`);
    expect(v.describe(Symbol('s'))).toBe('a symbol');
    expect(v.describe({})).toBe('an object');
    expect(v.describe([])).toBe('an array');
  });
});

describe('signals: null means none, as in fetch', () => {
  it('optionalSignal takes undefined or null for none, an AbortSignal, and refuses anything else', () => {
    const signal = new AbortController().signal;
    expect(v.optionalSignal('signal', undefined)).toBeUndefined();
    expect(v.optionalSignal('signal', null)).toBeUndefined();
    expect(v.optionalSignal('signal', signal)).toBe(signal);
    for (const bad of [5, 'signal', {}, { aborted: false }]) {
      expect(() => v.optionalSignal('signal', bad)).toThrow(expect.objectContaining({ option: 'signal' }));
    }
  });

  it('deadlineSignal checks its options like every factory (it used to crash on a null signal)', () => {
    expect(deadlineSignal(1000, { signal: null }).aborted).toBe(false);
    for (const [option, options] of [
      ['options', null],
      ['options', 5],
      ['clock', { clock: null }],
      ['clock', { clock: {} }],
      ['signal', { signal: 5 }],
    ] as const) {
      expect(() => deadlineSignal(1000, options as never), option).toThrow(
        expect.objectContaining({ option }),
      );
    }
  });
});
