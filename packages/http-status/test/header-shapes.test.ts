// Response headers in every shape the package accepts (a fetch Headers, a get()-object with or without keys(), a
// plain record of strings, numbers and arrays), read the same way by readDelayHint and copied the same way into
// HttpStatusError.headers: which values count, which spelling wins, which names are listed, and the bound on how
// many are read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify, delayHintMs, HttpStatusError, readDelayHint } from '../src/index.js';

const NOW = Date.UTC(2026, 0, 1);

/** A Headers' entries, as [name, value] pairs in its (sorted) order. */
function entries(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => {
    pairs.push([name, value]);
  });
  return pairs;
}

/** The headers HttpStatusError copied from `headers`. */
function copied(headers: unknown): [string, string][] {
  return entries(new HttpStatusError({ status: 500, headers: headers as never }).headers);
}

/** An AxiosHeaders-like container: get() and keys() on its prototype, the values in a private map. */
class MapHeaders {
  readonly #map = new Map<string, unknown>();
  constructor(entries: Record<string, unknown>) {
    for (const [name, value] of Object.entries(entries)) this.#map.set(name, value);
  }
  /** Exact-name lookup, as a Map-backed client without case folding does. */
  get(name: string): unknown {
    return this.#map.get(name);
  }
  keys(): Iterable<string> {
    return this.#map.keys();
  }
}

/** A get()-object whose keys() yields `count` distinct names (h0, h1...), each valued '1'. */
function manyNames(count: number) {
  return {
    get: (name: string) => (/^h\d+$/.test(name) ? '1' : undefined),
    *keys() {
      for (let i = 0; i < count; i++) yield `h${i}`;
    },
  };
}

describe('header values: what counts as a value', () => {
  it('a string, a finite number, or the first element of an array of them', () => {
    expect(delayHintMs({ 'retry-after': '5' })).toBe(5000);
    expect(delayHintMs({ 'retry-after': 5 })).toBe(5000);
    expect(delayHintMs({ 'retry-after': ['6', '9'] })).toBe(6000);
    expect(delayHintMs({ 'retry-after': [7, 9] })).toBe(7000);
    expect(delayHintMs(new MapHeaders({ 'retry-after': [8] }))).toBe(8000);
  });

  it('non-finite numbers, nested arrays, objects and empty arrays are absent headers', () => {
    const arrayLike = { 0: '5', length: 1 };
    for (const value of [
      Number.NaN,
      Infinity,
      [Infinity],
      [Number.NaN],
      [['5']],
      [{}],
      [],
      {},
      arrayLike,
      null,
      true,
    ]) {
      expect(delayHintMs({ 'retry-after': value })).toBeUndefined();
      expect(copied({ 'retry-after': value })).toEqual([]);
    }
  });

  it('HttpStatusError copies each readable value as text and leaves the rest out (never "undefined")', () => {
    expect(
      copied({
        a: 'x',
        b: 5,
        c: [7, 'y'],
        d: ['z', 8],
        e: [Infinity],
        f: [{}],
        g: undefined,
        h: [],
        i: 1.5,
      }),
    ).toEqual([
      ['a', 'x'],
      ['b', '5'],
      ['c', '7'],
      ['d', 'z'],
      ['i', '1.5'],
    ]);
  });

  it('property: a record of finite numbers and strings is copied value for value', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    const value = fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.stringMatching(/^[a-z0-9]{1,8}$/),
    );
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 }))),
        (record) => {
          const expected = Object.entries(record)
            .map(([n, v]): [string, string] => [n, String(Array.isArray(v) ? v[0] : v)])
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          expect(copied(record)).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('header names: case and spelling', () => {
  it('a record is read case-insensitively; of two spellings of one name, the first wins', () => {
    expect(delayHintMs({ 'RETRY-AFTER': '3' })).toBe(3000);
    expect(delayHintMs({ 'Retry-After': '1', 'retry-after': '2' })).toBe(1000);
    expect(delayHintMs({ 'retry-after': '2', 'Retry-After': '1' })).toBe(2000);
    expect(copied({ 'X-Id': 'first', 'x-id': 'second' })).toEqual([['x-id', 'first']]);
    expect(
      classify(503, { method: 'POST', headers: { 'Retry-After': '1', 'retry-after': 'soon' } }).retry,
    ).toBe(true);
  });

  it("a get()-object's names are lower-cased before they are looked up, as the x-ratelimit family is found", () => {
    // A Map-backed container that stores names lower-cased (as node:http does) but lists them as sent.
    const map = new Map<string, string>([['x-ratelimit-reset-requests', '30']]);
    const headers = {
      get: (name: string) => map.get(name),
      keys: () => ['X-RateLimit-Reset-Requests'],
    };
    expect(readDelayHint(headers, { now: NOW })).toEqual({ delayMs: 30_000, header: 'x-ratelimit-reset' });
    expect(copied(headers)).toEqual([['x-ratelimit-reset-requests', '30']]);
  });
});

describe('header names: how a get()-object lists them', () => {
  it('by its keys(), even when its values live elsewhere than its own properties', () => {
    const headers = new MapHeaders({ 'x-ratelimit-reset': '12', 'content-type': 'text/plain' });
    expect(readDelayHint(headers, { now: NOW })).toEqual({ delayMs: 12_000, header: 'x-ratelimit-reset' });
    expect(copied(headers)).toEqual([
      ['content-type', 'text/plain'],
      ['x-ratelimit-reset', '12'],
    ]);
  });

  it('by its own enumerable properties when it has no keys()', () => {
    const proto = {
      get(this: Record<string, unknown>, name: string) {
        return this[name.toLowerCase()];
      },
    };
    const headers = Object.assign(Object.create(proto) as { get(name: string): unknown }, {
      'x-ratelimit-reset': '9',
      'x-request-id': 'abc',
    });
    expect(readDelayHint(headers, { now: NOW })).toEqual({ delayMs: 9000, header: 'x-ratelimit-reset' });
    expect(copied(headers)).toEqual([
      ['x-ratelimit-reset', '9'],
      ['x-request-id', 'abc'],
    ]);
  });

  it('skips names that are not strings and keeps the others', () => {
    const headers = new MapHeaders({ 'x-ratelimit-reset': '4' });
    const listed = { get: (name: string) => headers.get(name), keys: () => [42, 'x-ratelimit-reset', null] };
    expect(delayHintMs(listed as never, { now: NOW })).toBe(4000);
    expect(copied(listed)).toEqual([['x-ratelimit-reset', '4']]);
  });

  it('a keys() that throws lists nothing, and HttpStatusError is built all the same', () => {
    const headers = {
      get: (name: string) => (name === 'retry-after' ? '2' : undefined),
      keys: () => {
        throw new Error('broken keys');
      },
    };
    const error = new HttpStatusError({ status: 503, headers });
    expect(error.retryAfterMs).toBe(2000);
    expect(entries(error.headers)).toEqual([]);
  });

  it('an iterator that fails midway lists nothing', () => {
    const headers = {
      get: () => '1',
      *keys() {
        yield 'a';
        throw new Error('broken iterator');
      },
    };
    expect(copied(headers)).toEqual([]);
  });
});

describe('header names: at most 2000 are read from one object', () => {
  it('a get()-object: every name up to 2000, then no more (an endless keys() ends there)', () => {
    expect(copied(manyNames(2))).toEqual([
      ['h0', '1'],
      ['h1', '1'],
    ]);
    expect(copied(manyNames(2000))).toHaveLength(2000);
    expect(copied(manyNames(2001))).toHaveLength(2000);
    expect(copied(manyNames(Number.POSITIVE_INFINITY))).toHaveLength(2000);
    expect(new Set(copied(manyNames(2001)).map(([name]) => name)).has('h1999')).toBe(true);
  });

  it('a record: its first 2000 entries', () => {
    const record = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`h${i}`, '1']));
    expect(copied(record(2000))).toHaveLength(2000);
    const names = copied(record(2001)).map(([name]) => name);
    expect(names).toHaveLength(2000);
    expect(names).toContain('h1999');
    expect(names).not.toContain('h2000');
  });
});

describe('containers that are not objects, or cannot say what they are', () => {
  it('a string, a number or a function is no headers at all, even one with a get()', () => {
    expect(copied('retry-after')).toEqual([]);
    expect(copied(42)).toEqual([]);
    const callable = Object.assign(() => undefined, { get: () => '5', 'retry-after': '5' });
    expect(delayHintMs(callable as never)).toBeUndefined();
    expect(copied(callable)).toEqual([]);
  });

  it('an object whose prototype cannot be read is read as a record', () => {
    const opaque = new Proxy(
      { 'x-id': '1', 'retry-after': '2' },
      {
        getPrototypeOf: () => {
          throw new Error('no prototype');
        },
      },
    );
    const error = new HttpStatusError({ status: 503, headers: opaque });
    expect(error.headers).not.toBe(opaque);
    expect(entries(error.headers)).toEqual([
      ['retry-after', '2'],
      ['x-id', '1'],
    ]);
    expect(error.retryAfterMs).toBe(2000);
  });
});

describe('a fetch Headers', () => {
  it('HttpStatusError keeps the very Headers it is given, repeated Set-Cookie fields included', () => {
    const headers = new Headers([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['retry-after', '3'],
    ]);
    const error = new HttpStatusError({ status: 503, headers });
    expect(error.headers).toBe(headers);
    expect(error.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(error.retryAfterMs).toBe(3000);
  });

  it('is read by classify and readDelayHint like any other container', () => {
    const headers = new Headers({ 'X-RateLimit-Reset': '6', 'Retry-After-Ms': '250' });
    expect(readDelayHint(headers, { now: NOW })).toEqual({ delayMs: 250, header: 'retry-after-ms' });
    expect(classify(503, { method: 'POST', headers }).retry).toBe(true);
  });
});
