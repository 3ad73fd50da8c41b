/**
 * What each bad breaker option, strategy option, control argument and snapshot is told: the option's name and the
 * exact message, so a caller reading it learns which value was wrong and what was expected.
 */
import { describe, expect, it } from 'vitest';
import {
  type BreakerSnapshot,
  breakerControl,
  type CircuitSync,
  circuitBreaker,
  consecutive,
  countWindow,
  timeWindow,
} from '../../src/breaker/index.js';
import { isInvalidOptionError } from '../../src/errors.js';
import { thrown } from '../support/helpers.js';

/** `[option, message]` of what `make` throws (an InvalidOptionError, else the test fails). */
function refusal(make: () => unknown): [string, string] {
  const error = thrown(make);
  expect(isInvalidOptionError(error)).toBe(true);
  return [(error as { option: string }).option, (error as Error).message];
}

const sync: CircuitSync = {
  attach: () => {},
  opened: () => {},
  closed: () => {},
  acquireProbe: async () => undefined,
};
/** A custom backoff: its sequence, and the maxDelay given. */
const backoff = (maxDelay: unknown) => ({ start: () => ({ next: () => 1 }), maxDelay }) as never;
const BACKOFF_EXPECTED = 'expected a number of ms >= 0 or a Backoff with a finite maxDelay';
const BACKOFF = `${BACKOFF_EXPECTED}, got an object`;
const STRATEGY = 'expected consecutive(n), countWindow(...) or timeWindow(...), got';
const FLEET =
  'a shared circuit (sync) judges its half-open probes fleet-wide, where every probe must succeed';

describe('circuitBreaker option messages', () => {
  it.each([
    [() => circuitBreaker({ strategy: {} as never }), 'strategy', `${STRATEGY} an object`],
    [() => circuitBreaker({ strategy: null as never }), 'strategy', `${STRATEGY} null`],
    [
      () => circuitBreaker({ halfOpenAfter: null as never }),
      'halfOpenAfter',
      `${BACKOFF_EXPECTED}, got null`,
    ],
    [() => circuitBreaker({ halfOpenAfter: { maxDelay: 5 } as never }), 'halfOpenAfter', BACKOFF],
    [() => circuitBreaker({ halfOpenAfter: backoff('5') }), 'halfOpenAfter', BACKOFF],
    [() => circuitBreaker({ halfOpenAfter: backoff(Number.POSITIVE_INFINITY) }), 'halfOpenAfter', BACKOFF],
    [() => circuitBreaker({ halfOpenAfter: backoff(-1) }), 'halfOpenAfter', BACKOFF],
    [
      () => circuitBreaker({ halfOpenAfter: { start: () => undefined, maxDelay: 5 } as never }),
      'halfOpenAfter',
      'start() returned undefined; expected a sequence with a next() method',
    ],
    [
      () => circuitBreaker({ halfOpenProbes: 3, halfOpenSuccessThreshold: 2, halfOpenFailureRatio: 0.5 }),
      'halfOpenFailureRatio',
      'give halfOpenSuccessThreshold or halfOpenFailureRatio, not both',
    ],
    [
      () => circuitBreaker({ halfOpenProbes: 2, halfOpenSuccessThreshold: 3 }),
      'halfOpenSuccessThreshold',
      'expected at most halfOpenProbes (2), got 3',
    ],
    [
      () => circuitBreaker({ halfOpenFailureRatio: 0 }),
      'halfOpenFailureRatio',
      'expected a number in (0, 1], got 0',
    ],
    [
      () => circuitBreaker({ maxHalfOpenDuration: 0 }),
      'maxHalfOpenDuration',
      'expected a finite number > 0, got 0',
    ],
    [() => circuitBreaker({ autoHalfOpen: 'yes' as never }), 'autoHalfOpen', 'expected a boolean, got "yes"'],
    [() => circuitBreaker({ halfOpenWait: 1 as never }), 'halfOpenWait', 'expected a boolean, got 1'],
    [() => circuitBreaker({ breakDuration: 5 as never }), 'breakDuration', 'expected a function, got 5'],
    [() => circuitBreaker({ deferResult: 'x' as never }), 'deferResult', 'expected a function, got "x"'],
    [() => circuitBreaker({ breakFor: 'x' as never }), 'breakFor', 'expected a function, got "x"'],
    [
      () => circuitBreaker({ strategy: countWindow(), slowCallRatio: 0.5 }),
      'slowCallRatio',
      'needs slowCallDuration (which calls are slow)',
    ],
    [
      () => circuitBreaker({ slowCallDuration: 10, slowCallRatio: 0.5 }),
      'slowCallRatio',
      'consecutive(n) has no ratio (a slow call counts as a failure); use countWindow or timeWindow',
    ],
    [
      () => circuitBreaker({ strategy: countWindow(), slowCallDuration: 10, slowCallRatio: 2 }),
      'slowCallRatio',
      'expected a number in (0, 1], got 2',
    ],
    [
      () => circuitBreaker({ sync: {} as never }),
      'sync',
      'expected a CircuitSync (attach, opened, closed, acquireProbe), got an object with no attach() method',
    ],
    [
      () => circuitBreaker({ halfOpenProbes: 3, halfOpenSuccessThreshold: 2, sync }),
      'halfOpenSuccessThreshold',
      FLEET,
    ],
    [
      () => circuitBreaker({ halfOpenProbes: 3, halfOpenFailureRatio: 0.5, sync }),
      'halfOpenFailureRatio',
      FLEET,
    ],
    [
      () => circuitBreaker({ sync: { ...sync, acquireTimeoutMs: 0 } }),
      'sync.acquireTimeoutMs',
      'expected a finite number > 0, got 0',
    ],
    [
      () => circuitBreaker({ control: {} as never }),
      'control',
      'expected breakerControl() (attach, openFor, openUntil, forceClosed, release), got an object with no attach() method',
    ],
  ] as const)('%#: %s', (make, option, message) => {
    expect(refusal(make)).toEqual([option, `Invalid option "${option}": ${message}`]);
  });

  it('a sync with a tolerant half-open verdict of all its probes is accepted', () => {
    expect(circuitBreaker({ halfOpenProbes: 3, halfOpenSuccessThreshold: 3, sync }).halfOpenSuccesses).toBe(
      3,
    );
    expect(circuitBreaker({ sync }).halfOpenSuccesses).toBe(1);
  });
});

describe('strategy option messages', () => {
  it.each([
    [() => consecutive(0), 'threshold', 'expected an integer >= 1, got 0'],
    [() => countWindow({ size: 0 }), 'size', 'expected an integer in [1, 1000000], got 0'],
    [() => countWindow({ failureRatio: 0 }), 'failureRatio', 'expected a number in (0, 1], got 0'],
    [() => countWindow({ minimumCalls: 0 }), 'minimumCalls', 'expected an integer >= 1, got 0'],
    [() => countWindow({ size: 5, minimumCalls: 6 }), 'minimumCalls', 'must not exceed size (5), got 6'],
    [() => timeWindow({ duration: 0 }), 'duration', 'expected a finite number > 0, got 0'],
    [() => timeWindow({ failureRatio: 2 }), 'failureRatio', 'expected a number in (0, 1], got 2'],
    [() => timeWindow({ failureCount: 1.5 }), 'failureCount', 'expected an integer >= 1, got 1.5'],
    [() => timeWindow({ failureCount: 0 }), 'failureCount', 'expected an integer >= 1, got 0'],
    [() => timeWindow({ minimumCalls: 0 }), 'minimumCalls', 'expected an integer >= 1, got 0'],
    [() => timeWindow({ buckets: 1001 }), 'buckets', 'expected an integer in [1, 1000], got 1001'],
  ] as const)('%#: %s', (make, option, message) => {
    expect(refusal(make)).toEqual([option, `Invalid option "${option}": ${message}`]);
  });

  it("a count window's minimumCalls may equal its size; a time window given only a count has no ratio", () => {
    expect(countWindow({ size: 5, minimumCalls: 5 }).minimumCalls).toBe(5);
    expect(timeWindow({ failureCount: 3 })).toMatchObject({ failureCount: 3, failureRatio: undefined });
    expect(timeWindow({ failureCount: 3, failureRatio: 0.2 })).toMatchObject({
      failureCount: 3,
      failureRatio: 0.2,
    });
    expect(timeWindow()).toMatchObject({ failureCount: Number.POSITIVE_INFINITY, failureRatio: 0.5 });
  });
});

describe('breakerControl argument messages', () => {
  it.each([
    [() => breakerControl().openFor(-1), 'ms', 'expected a finite number of ms >= 0, got -1'],
    [() => breakerControl().openFor(Number.NaN), 'ms', 'expected a finite number of ms >= 0, got NaN'],
    [
      () => breakerControl().openFor(Number.POSITIVE_INFINITY),
      'ms',
      'expected a finite number of ms >= 0, got Infinity',
    ],
    [() => breakerControl().openFor('5' as never), 'ms', 'expected a finite number of ms >= 0, got "5"'],
    [
      () => breakerControl().openUntil(Number.NaN),
      'instant',
      'expected a finite clock time or a Date, got NaN',
    ],
    [
      () => breakerControl().openUntil(new Date('x')),
      'instant',
      'expected a finite clock time or a Date, got an object',
    ],
    [
      () => breakerControl().openUntil('5' as never),
      'instant',
      'expected a finite clock time or a Date, got "5"',
    ],
  ] as const)('%#: %s', (make, option, message) => {
    expect(refusal(make)).toEqual([option, `Invalid option "${option}": ${message}`]);
  });

  it('a hold of 0 ms and an instant of 0 are accepted', () => {
    expect(() => breakerControl().openFor(0)).not.toThrow();
    expect(() => breakerControl().openUntil(0)).not.toThrow();
  });
});

describe('initialState messages', () => {
  const valid: BreakerSnapshot = {
    version: 1,
    state: 'closed',
    breaks: 0,
    window: { kind: 'consecutive', failures: 0 },
  };
  const withWindow = (window: unknown) => ({ ...valid, window }) as never;
  it.each([
    [null, 'a snapshot object from snapshot(), got null'],
    [[], 'a snapshot object from snapshot(), got an array'],
    [{ ...valid, version: 2 }, '"version" 1, got 2'],
    [{ ...valid, state: 'broken' }, '"state" one of closed, open, halfOpen, isolated, got "broken"'],
    [{ ...valid, breaks: 10_001 }, '"breaks" an integer in [0, 10000], got 10001'],
    [{ ...valid, state: 'open' }, 'a finite "openUntil" (open), got undefined'],
    [withWindow({ kind: 'consecutive', failures: -1 }), '"window.failures" an integer >= 0, got -1'],
    [
      withWindow({ kind: 'countWindow', outcomes: [4] }),
      '"window.outcomes" at most 1000000 of 0, 1, 2 or 3, got an array',
    ],
    [withWindow({ kind: 'x' }), '"window" of kind consecutive, countWindow or timeWindow, got an object'],
    [
      withWindow({ kind: 'timeWindow', buckets: [[0, 1, 2, 0]] }),
      '"window.buckets" at most 1000 [midpoint, calls, failures, slow] with failures and slow <= calls, got an array',
    ],
  ] as const)('%#: %j', (snapshot, message) => {
    expect(refusal(() => circuitBreaker({ initialState: snapshot as never }))).toEqual([
      'initialState',
      `Invalid option "initialState": expected ${message}`,
    ]);
  });

  it('accepts the limits: 10000 breaks, every outcome bit, a bucket whose failures and slow calls equal its calls', () => {
    const snapshots = [
      { ...valid, breaks: 10_000 },
      withWindow({ kind: 'countWindow', outcomes: [0, 1, 2, 3] }),
      withWindow({ kind: 'timeWindow', buckets: [[0, 2, 2, 2]] }),
    ];
    for (const initialState of snapshots) expect(() => circuitBreaker({ initialState })).not.toThrow();
  });
});
