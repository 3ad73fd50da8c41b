/**
 * withResilience validates every option when it is called: a wrong type or value throws InvalidOptionError
 * naming the option's path, never a "Cannot read properties" later nor a silent fall back to the default.
 */
import { constant, isInvalidOptionError } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { describe, expect, it } from 'vitest';
import { resilienceOf, withResilience } from '../../src/index.js';
import { unreachableClient } from '../support/sdks.js';

interface Row {
  readonly option: string;
  readonly build: (value: any) => unknown;
  readonly bad: readonly unknown[];
}

const NOT_OBJECT = [null, 0, 'options', true, [], () => ({})];
const NOT_MS = [null, 0, -1, Number.NaN, '100', {}];
const NOT_POLICY_OPTIONS = [null, true, 0, 'on', []];
const PRO = 'gemini-2.5-pro';

const option = (name: string) => (value: unknown) => withResilience(unreachableClient(), { [name]: value });

const rows: Row[] = [
  { option: 'ai', build: (v) => withResilience(v), bad: [undefined, null, 5, 'ai', {}, { models: {} }] },
  { option: 'options', build: (v) => withResilience(unreachableClient(), v), bad: NOT_OBJECT },
  { option: 'maxAttempts', build: option('maxAttempts'), bad: [null, 0, 1.5, Number.NaN, Infinity, '3'] },
  { option: 'backoff', build: option('backoff'), bad: [null, 5, 'exponential', {}, { start: 1 }] },
  { option: 'maxRetryDelay', build: option('maxRetryDelay'), bad: [...NOT_MS, Number.POSITIVE_INFINITY] },
  ...[
    'attemptTimeout',
    'totalTimeout',
    'firstChunkTimeout',
    'idleTimeout',
    'maxQueueWait',
    'failoverWait',
  ].map((name): Row => ({ option: name, build: option(name), bad: NOT_MS })),
  // Policy options: false, omitted, or an object whose own options core checks (named under the path).
  { option: 'breaker', build: option('breaker'), bad: NOT_POLICY_OPTIONS },
  {
    option: 'breaker.halfOpenAfter',
    build: (v) => option('breaker')({ halfOpenAfter: v }),
    bad: NOT_MS.slice(2),
  },
  { option: 'breaker.strategy', build: (v) => option('breaker')({ strategy: v }), bad: [null, 5, {}] },
  {
    option: 'breaker.halfOpenProbes',
    build: (v) => option('breaker')({ halfOpenProbes: v }),
    bad: [null, 0],
  },
  { option: 'retryBudget', build: option('retryBudget'), bad: NOT_POLICY_OPTIONS },
  {
    option: 'retryBudget.ratio',
    build: (v) => option('retryBudget')({ ratio: v }),
    bad: [null, 2, Number.NaN],
  },
  { option: 'retryBudget.window', build: (v) => option('retryBudget')({ window: v }), bad: [null, 0, '1'] },
  { option: 'concurrency', build: option('concurrency'), bad: NOT_POLICY_OPTIONS },
  {
    option: 'concurrency.maxLimit',
    build: (v) => option('concurrency')({ maxLimit: v }),
    bad: [null, 0, 1.5],
  },
  {
    option: 'concurrency.initialLimit',
    build: (v) => option('concurrency')({ initialLimit: v }),
    bad: [null, Number.NaN, 1e9],
  },
  { option: 'limits', build: option('limits'), bad: [null, 5, 'x', []] },
  { option: `limits.${PRO}`, build: (v) => option('limits')({ [PRO]: v }), bad: [null, 5, 'rpm', []] },
  ...['rpm', 'tpm', 'rpd'].map(
    (key): Row => ({
      option: `limits.${PRO}.${key}`,
      build: (v) => option('limits')({ [PRO]: { [key]: v } }),
      bad: [null, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5'],
    }),
  ),
  { option: 'fallbacks', build: option('fallbacks'), bad: [null, 5, 'x', []] },
  {
    option: `fallbacks.${PRO}`,
    build: (v) => option('fallbacks')({ [PRO]: v }),
    bad: [null, 'flash', [5], ['']],
  },
  {
    option: 'clock',
    build: option('clock'),
    bad: [null, 5, {}, { now: () => 0 }, { now: () => 0, setTimer: () => 0 }],
  },
  { option: 'random', build: option('random'), bad: [null, 0.5, 'random', {}] },
];

function label(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || value === undefined) return String(value);
  return JSON.stringify(value);
}

describe('withResilience refuses bad options at once, naming the option path', () => {
  const cases = rows.flatMap((row) =>
    row.bad.map((value) => [`${row.option} = ${label(value)}`, row, value] as const),
  );

  it.each(cases)('%s', (_name, row, value) => {
    let error: unknown;
    try {
      row.build(value);
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error), `threw ${String(error)}`).toBe(true);
    expect((error as { option: string }).option).toBe(row.option);
  });

  it('accepts omitted options, false for the optional policies, and well-formed values', () => {
    expect(() => withResilience(unreachableClient())).not.toThrow();
    expect(() => withResilience(unreachableClient(), undefined)).not.toThrow();
    const ai = withResilience(unreachableClient(), {
      maxAttempts: 2,
      backoff: constant(10),
      breaker: false,
      retryBudget: false,
      concurrency: false,
      limits: { [PRO]: { rpm: 5 } },
      fallbacks: { [PRO]: ['gemini-2.5-flash'] },
      clock: new VirtualClock(),
      random: () => 0.5,
      attemptTimeout: Number.POSITIVE_INFINITY,
    });
    expect(resilienceOf(ai).options.maxAttempts).toBe(2);
  });
});
