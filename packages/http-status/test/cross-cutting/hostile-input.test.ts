/**
 * The header and hint readers are documented never to throw (nor to hang), whatever they are given: a hint is
 * read while handling a failure, where a throw would replace the real error. Arbitrary values and hostile
 * objects (throwing getters and traps, cyclic values, endless iterators) must give undefined or a usable number.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { delayHintMs, parseHttpDate, parseRetryAfter, readDelayHint } from '../../src/index.js';

const boom = (): never => {
  throw new Error('boom');
};

/** A Proxy whose every trap throws. */
const throwingProxy = new Proxy(
  {},
  {
    get: boom,
    has: boom,
    ownKeys: boom,
    getOwnPropertyDescriptor: boom,
    getPrototypeOf: boom,
  },
);

const cyclicArray: unknown[] = [];
cyclicArray.push(cyclicArray);

/** Each value an `[0]` access of which returns a Proxy of itself: infinitely nested "arrays". */
const nestedForever: unknown[] = new Proxy([] as unknown[], {
  get: (target, key) => (key === '0' ? nestedForever : Reflect.get(target, key)),
});

const cyclicToString = { toString: (): string => String(cyclicToString) };
const throwingToString = { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom };

/** Header values that are hostile in themselves. */
const hostileValues: unknown[] = [
  throwingProxy,
  cyclicArray,
  nestedForever,
  cyclicToString,
  throwingToString,
  Symbol('x'),
  10n,
  [throwingToString],
  [[['5']]],
  'x'.repeat(1_000_000),
  `${'9'.repeat(100_000)}.5`,
  ` ${'limit=1, '.repeat(10_000)}`,
];

/** Headers objects that are hostile as a whole. */
function hostileHeaders(): unknown[] {
  return [
    throwingProxy,
    { get: boom },
    { get: () => throwingToString },
    { get: () => cyclicArray, keys: () => ['retry-after'] },
    { get: () => '5', keys: boom },
    // keys() that never ends: the reader must stop, not hang.
    {
      get: () => undefined,
      *keys() {
        for (;;) yield 'x-ratelimit-reset';
      },
    },
    { get: () => '5', keys: () => [throwingToString, Symbol('k')] },
    Object.defineProperty({}, 'retry-after', { get: boom, enumerable: true }),
    Object.defineProperty({ date: 'x' }, 'Retry-After', { get: boom, enumerable: true }),
    { 'retry-after': cyclicArray, ratelimit: nestedForever, 'x-ratelimit-reset': throwingToString },
    new Proxy({ 'retry-after': '5' }, { get: boom }),
    new Proxy({ 'retry-after': '5' }, { ownKeys: boom }),
    Object.assign(Object.create(throwingProxy) as object, { 'retry-after': '5' }),
    ...hostileValues.map((value) => ({ 'retry-after': value, 'retry-after-ms': value, ratelimit: value })),
    ...hostileValues.map((value) => ({ get: () => value })),
  ];
}

/** Hostile `options` for readDelayHint. */
const hostileOptions: unknown[] = [
  null,
  5,
  'now',
  throwingProxy,
  Object.defineProperty({}, 'now', { get: boom }),
  { now: throwingToString },
  { now: Number.NaN },
  { now: 1e300 },
  { now: -1e300 },
];

/**
 * Any value, or one of `hostile` (picked by index inside the property: fast-check itself would trip over a
 * throwing Proxy if it held one as a generated value).
 */
function anyOr(hostile: readonly unknown[], other: fc.Arbitrary<unknown> = fc.anything()) {
  return fc.oneof(
    other.map((value) => () => value),
    fc.nat({ max: hostile.length - 1 }).map((i) => () => hostile[i]),
  );
}

function expectHint(result: unknown): void {
  if (result === undefined) return;
  const { delayMs, header } = result as { delayMs: unknown; header: unknown };
  expect(typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs >= 0).toBe(true);
  expect(typeof header).toBe('string');
}

function expectDelay(result: unknown): void {
  if (result === undefined) return;
  expect(typeof result === 'number' && Number.isFinite(result) && result >= 0).toBe(true);
}

describe('readDelayHint and delayHintMs never throw nor hang', () => {
  it.each(hostileHeaders().map((headers, i) => [i, headers]))('hostile headers #%i', (_i, headers) => {
    expectHint(readDelayHint(headers as never));
    expectDelay(delayHintMs(headers as never));
  });

  it.each(hostileOptions.map((options, i) => [i, options]))('hostile options #%i', (_i, options) => {
    expectHint(readDelayHint({ 'retry-after': '5' }, options as never));
    expectDelay(delayHintMs({ 'x-ratelimit-reset': '1700000000' }, options as never));
  });

  it('property: any headers and any options give undefined or a finite delay >= 0', () => {
    fc.assert(
      fc.property(anyOr(hostileHeaders()), anyOr(hostileOptions), (headers, options) => {
        expectHint(readDelayHint(headers() as never, options() as never));
        expectDelay(delayHintMs(headers() as never, options() as never));
      }),
      { numRuns: 500 },
    );
  });

  it('property: any value under any hint header name gives undefined or a finite delay >= 0', () => {
    const names = fc.constantFrom(
      'retry-after-ms',
      'Retry-After',
      'ratelimit',
      'RateLimit-Reset',
      'ratelimit-remaining',
      'x-ratelimit-reset-requests',
      'x-ratelimit-remaining',
      'date',
    );
    fc.assert(
      fc.property(fc.dictionary(names, anyOr(hostileValues)), fc.boolean(), (thunks, asGetter) => {
        const record = Object.fromEntries(Object.entries(thunks).map(([name, value]) => [name, value()]));
        const headers = asGetter
          ? { get: (name: string) => record[name], keys: () => Object.keys(record) }
          : record;
        expectHint(readDelayHint(headers));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseRetryAfter and parseHttpDate never throw', () => {
  it('property: parseRetryAfter(anything, anything) is undefined or a finite delay >= 0', () => {
    fc.assert(
      fc.property(
        anyOr(hostileValues, fc.oneof(fc.anything(), fc.string())),
        anyOr(hostileValues, fc.oneof(fc.anything(), fc.double())),
        (value, now) => {
          expectDelay(parseRetryAfter(value(), now() as never));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: parseHttpDate(anything, anything) is undefined or a finite number', () => {
    fc.assert(
      fc.property(
        anyOr(hostileValues),
        anyOr(hostileValues, fc.oneof(fc.anything(), fc.double())),
        (value, now) => {
          const date = parseHttpDate(value(), now() as never);
          expect(date === undefined || Number.isFinite(date)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a valid date with a hostile or absurd reference time still gives undefined or a delay >= 0', () => {
    for (const now of [Number.NaN, 1e300, -1e300, throwingToString, throwingProxy]) {
      expectDelay(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now as never));
      expectDelay(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now as never));
      const date = parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now as never);
      expect(date === undefined || Number.isFinite(date)).toBe(true);
    }
  });
});
