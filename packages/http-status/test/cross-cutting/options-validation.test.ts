/**
 * Every factory and constructor of @bulwark/http-status refuses bad options at once with InvalidOptionError
 * naming the option (never a "Cannot read properties", a RangeError from deep inside, or a silent default).
 */
import { isInvalidOptionError, retry } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { createClassifier, HttpStatusError, resilientFetch } from '../../src/index.js';

type Build = (value: any) => unknown;

interface Row {
  readonly factory: string;
  readonly option: string;
  readonly build: Build;
  readonly bad: readonly unknown[];
}

const NOT_OBJECT = [null, 0, 'options', true, [], () => ({})];
const NOT_FUNCTION = [null, 5, 'fn', {}];
const NOT_BOOLEAN = [null, 'yes', 1, {}];
const NOT_CLOCK = [null, 5, {}, { now: () => 0 }, { now: () => 0, setTimer: () => 0 }];
const policy = retry();

const rows: Row[] = [
  // resilientFetch
  {
    factory: 'resilientFetch',
    option: 'policy',
    build: (v) => resilientFetch(v),
    bad: [undefined, null, 5, {}, { execute: 1 }],
  },
  { factory: 'resilientFetch', option: 'options', build: (v) => resilientFetch(policy, v), bad: NOT_OBJECT },
  ...(['fetch', 'classify', 'onThrottle'] as const).map(
    (option): Row => ({
      factory: 'resilientFetch',
      option,
      build: (v) => resilientFetch(policy, { [option]: v }),
      bad: NOT_FUNCTION,
    }),
  ),
  {
    factory: 'resilientFetch',
    option: 'pauseLimiter',
    build: (v) => resilientFetch(policy, { pauseLimiter: v }),
    bad: [null, 5, {}, { pause: 1 }],
  },
  {
    factory: 'resilientFetch',
    option: 'idempotencyKeyHeader',
    build: (v) => resilientFetch(policy, { idempotencyKeyHeader: v }),
    bad: [null, '', 'bad header', 5],
  },
  {
    factory: 'resilientFetch',
    option: 'retryUnsafe',
    build: (v) => resilientFetch(policy, { retryUnsafe: v }),
    bad: NOT_BOOLEAN,
  },
  {
    factory: 'resilientFetch',
    option: 'bodyExcerptChars',
    build: (v) => resilientFetch(policy, { bodyExcerptChars: v }),
    bad: [null, -1, 1.5, 5000, Number.NaN, '10'],
  },
  {
    factory: 'resilientFetch',
    option: 'maxDrainBytes',
    build: (v) => resilientFetch(policy, { maxDrainBytes: v }),
    bad: [null, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN, '10'],
  },
  {
    factory: 'resilientFetch',
    option: 'clock',
    build: (v) => resilientFetch(policy, { clock: v }),
    bad: NOT_CLOCK,
  },

  // createClassifier
  { factory: 'createClassifier', option: 'options', build: (v) => createClassifier(v), bad: NOT_OBJECT },
  {
    factory: 'createClassifier',
    option: 'overrides',
    build: (v) => createClassifier({ overrides: v }),
    bad: [null, 5, 'x', { 42: { retryable: true } }],
  },
  {
    factory: 'createClassifier',
    option: 'overrides.404',
    build: (v) => createClassifier({ overrides: { 404: v } }),
    bad: [null, 5, { retry: true }],
  },
  {
    factory: 'createClassifier',
    option: 'overrides.404.retryable',
    build: (v) => createClassifier({ overrides: { 404: { retryable: v } } }),
    bad: NOT_BOOLEAN,
  },
  {
    factory: 'createClassifier',
    option: 'idempotentMethods',
    build: (v) => createClassifier({ idempotentMethods: v }),
    bad: [null, 'GET', [5], ['']],
  },
  {
    factory: 'createClassifier',
    option: 'retryUnsafe',
    build: (v) => createClassifier({ retryUnsafe: v }),
    bad: NOT_BOOLEAN,
  },

  // HttpStatusError
  {
    factory: 'HttpStatusError',
    option: 'options',
    build: (v) => new HttpStatusError(v),
    bad: [undefined, ...NOT_OBJECT],
  },
  {
    factory: 'HttpStatusError',
    option: 'status',
    build: (v) => new HttpStatusError({ status: v }),
    bad: [undefined, null, 99, 1000, 404.5, Number.NaN, '503', {}],
  },
  ...(['statusText', 'method'] as const).map(
    (option): Row => ({
      factory: 'HttpStatusError',
      option,
      build: (v) => new HttpStatusError({ status: 503, [option]: v }),
      bad: [null, 5, {}],
    }),
  ),
  {
    factory: 'HttpStatusError',
    option: 'url',
    build: (v) => new HttpStatusError({ status: 503, url: v }),
    bad: [null, 5, {}, { toString: () => 'https://x' }],
  },
  {
    factory: 'HttpStatusError',
    option: 'decision',
    build: (v) => new HttpStatusError({ status: 503, decision: v }),
    bad: [null, 5, {}, { retry: 'yes', breakerFailure: true }],
  },
  {
    factory: 'HttpStatusError',
    option: 'classify',
    build: (v) => new HttpStatusError({ status: 503, classify: v }),
    bad: NOT_FUNCTION,
  },
  {
    factory: 'HttpStatusError',
    option: 'retryAfterMs',
    build: (v) => new HttpStatusError({ status: 503, retryAfterMs: v }),
    bad: [null, -1, Number.NaN, Number.POSITIVE_INFINITY, '100'],
  },
  {
    factory: 'HttpStatusError',
    option: 'now',
    build: (v) => new HttpStatusError({ status: 503, now: v }),
    bad: [null, Number.NaN, Number.POSITIVE_INFINITY, '100'],
  },
];

function label(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || value === undefined) return String(value);
  return JSON.stringify(value);
}

describe('http-status factories refuse bad options at once, naming the option', () => {
  const cases = rows.flatMap((row) =>
    row.bad.map((value) => [`${row.factory}: ${row.option} = ${label(value)}`, row, value] as const),
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

  it('optional options may be omitted', () => {
    expect(() => resilientFetch(policy, undefined)).not.toThrow();
    expect(() => createClassifier(undefined)).not.toThrow();
    expect(new HttpStatusError({ status: 503, url: new URL('https://user:pw@x.test/a?key=1') }).url).toBe(
      'https://x.test/a',
    );
  });

  it('HttpStatusError reads hostile headers and bodies defensively instead of throwing', () => {
    const throwing = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    const error = new HttpStatusError({ status: 503, headers: throwing as never, body: throwing });
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.body).toBeUndefined();
    expect(error.headers.get('retry-after')).toBeNull();
  });
});
