import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { delayHintMs, MAX_HINT_MS, readDelayHint } from '../src/index.js';
import { imfFixdate } from './support/dates.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);
const NOW_S = NOW / 1000;
const hint = (headers: Record<string, string | string[]>, now = NOW) => readDelayHint(headers, { now });

describe('readDelayHint: header order', () => {
  it('reads each source on its own', () => {
    expect(hint({ 'retry-after-ms': '1500' })).toEqual({ delayMs: 1500, header: 'retry-after-ms' });
    expect(hint({ 'retry-after': '7' })).toEqual({ delayMs: 7000, header: 'retry-after' });
    expect(hint({ ratelimit: 'limit=10, remaining=0, reset=9' })).toEqual({
      delayMs: 9000,
      header: 'ratelimit',
    });
    expect(hint({ 'ratelimit-reset': '11' })).toEqual({ delayMs: 11_000, header: 'ratelimit-reset' });
    expect(hint({ 'x-ratelimit-reset': '13' })).toEqual({ delayMs: 13_000, header: 'x-ratelimit-reset' });
    expect(hint({})).toBeUndefined();
  });

  it('prefers retry-after-ms, then retry-after, then RateLimit, then RateLimit-Reset, then x-ratelimit-reset*', () => {
    const all = {
      'retry-after-ms': '1500',
      'retry-after': '7',
      ratelimit: 'limit=10, remaining=0, reset=9',
      'ratelimit-reset': '11',
      'x-ratelimit-reset': '13',
    };
    const order = ['retry-after-ms', 'retry-after', 'ratelimit', 'ratelimit-reset', 'x-ratelimit-reset'];
    const remaining: Record<string, string> = { ...all };
    for (const header of order) {
      expect(hint(remaining)?.header).toBe(header);
      delete remaining[header];
    }
  });

  it('skips a malformed header and uses the next one', () => {
    expect(hint({ 'retry-after-ms': 'soon', 'retry-after': '2' })).toEqual({
      delayMs: 2000,
      header: 'retry-after',
    });
    expect(hint({ 'retry-after': '-1', 'ratelimit-reset': '3' })?.delayMs).toBe(3000);
    expect(hint({ 'retry-after': 'NaN', ratelimit: 'garbage', 'x-ratelimit-reset': '4' })?.delayMs).toBe(
      4000,
    );
  });

  it('reads any header container: Headers, mixed-case records, arrays, numbers, get()-objects', () => {
    expect(delayHintMs(new Headers({ 'Retry-After': '5' }), { now: NOW })).toBe(5000);
    expect(delayHintMs({ 'Retry-After': '5' })).toBe(5000);
    expect(delayHintMs({ 'retry-after': ['6', '9'] })).toBe(6000);
    expect(delayHintMs({ 'retry-after': 8 })).toBe(8000);
    const axiosLike = { get: (name: string) => (name === 'retry-after' ? '4' : undefined) };
    expect(delayHintMs(axiosLike)).toBe(4000);
    expect(delayHintMs(null)).toBeUndefined();
    expect(delayHintMs(undefined)).toBeUndefined();
    expect(
      delayHintMs({
        get: () => {
          throw new Error('broken');
        },
      }),
    ).toBeUndefined();
  });
});

describe('readDelayHint: dates measured against the response Date header', () => {
  it('uses the Date header as "now" for Retry-After dates, so local clock skew does not matter', () => {
    const serverNow = NOW + 3_600_000; // the local clock is an hour behind the server
    const headers = {
      date: imfFixdate(new Date(serverNow)),
      'retry-after': imfFixdate(new Date(serverNow + 30_000)),
    };
    expect(hint(headers)?.delayMs).toBe(30_000);
  });

  it('falls back to now when the Date header is missing or malformed', () => {
    expect(hint({ 'retry-after': imfFixdate(new Date(NOW + 10_000)) })?.delayMs).toBe(10_000);
    expect(hint({ date: 'yesterday', 'retry-after': imfFixdate(new Date(NOW + 10_000)) })?.delayMs).toBe(
      10_000,
    );
  });
});

describe('readDelayHint: IETF RateLimit headers', () => {
  it('reads the dictionary form (drafts 05-07)', () => {
    expect(hint({ ratelimit: 'limit=100, remaining=0, reset=30' })?.delayMs).toBe(30_000);
    expect(hint({ ratelimit: 'reset=30' })?.delayMs).toBe(30_000);
  });

  it('reads the policy-list form (draft 08+), choosing the exhausted window', () => {
    expect(hint({ ratelimit: '"default";r=0;t=30' })?.delayMs).toBe(30_000);
    expect(hint({ ratelimit: '"minute";r=0;t=30, "day";r=500;t=3600' })?.delayMs).toBe(30_000);
    expect(hint({ ratelimit: '"minute";r=0;t=30, "day";r=0;t=3600' })?.delayMs).toBe(3_600_000);
    expect(hint({ ratelimit: 'burst;r=0;t=2' })?.delayMs).toBe(2000);
    expect(hint({ ratelimit: '"a,b";r=0;t=5' })?.delayMs).toBe(5000);
  });

  it('gives no hint when every window still has room', () => {
    expect(hint({ ratelimit: 'limit=100, remaining=50, reset=30' })).toBeUndefined();
    expect(hint({ ratelimit: '"minute";r=3;t=30' })).toBeUndefined();
    expect(hint({ 'ratelimit-reset': '30', 'ratelimit-remaining': '2' })).toBeUndefined();
  });

  it('takes the latest reset when no window says what remains', () => {
    expect(hint({ ratelimit: '"a";t=5, "b";t=9' })?.delayMs).toBe(9000);
  });

  it('reads RateLimit-Reset with RateLimit-Remaining', () => {
    expect(hint({ 'ratelimit-reset': '30', 'ratelimit-remaining': '0' })?.delayMs).toBe(30_000);
    expect(hint({ 'ratelimit-reset': '30' })?.delayMs).toBe(30_000);
  });

  it('ignores malformed RateLimit fields', () => {
    for (const value of [
      '',
      ',,,',
      'reset=',
      'reset=-5',
      '"x";t=abc',
      '"x";r=0;t=1e9999',
      '"unterminated;t=5',
    ]) {
      expect(hint({ ratelimit: value }), value).toBeUndefined();
    }
  });
});

describe('readDelayHint: x-ratelimit-reset* headers', () => {
  it('tells delta seconds from epoch seconds and epoch milliseconds', () => {
    expect(hint({ 'x-ratelimit-reset': '60' })?.delayMs).toBe(60_000);
    expect(hint({ 'x-ratelimit-reset': String(NOW_S + 60) })?.delayMs).toBe(60_000);
    expect(hint({ 'x-ratelimit-reset': String(NOW + 60_000) })?.delayMs).toBe(60_000);
    expect(hint({ 'x-ratelimit-reset': `${NOW_S + 1}.5` })?.delayMs).toBe(1500);
    // An epoch in the past means "now".
    expect(hint({ 'x-ratelimit-reset': String(NOW_S - 100) })?.delayMs).toBe(0);
  });

  it('reads an epoch against the response Date header', () => {
    const serverNow = NOW - 7_200_000;
    const headers = {
      date: imfFixdate(new Date(serverNow)),
      'x-ratelimit-reset': String(serverNow / 1000 + 20),
    };
    expect(hint(headers)?.delayMs).toBe(20_000);
  });

  it('reads Go-style durations (OpenAI) and ISO dates', () => {
    expect(hint({ 'x-ratelimit-reset-requests': '1s' })?.delayMs).toBe(1000);
    expect(hint({ 'x-ratelimit-reset-requests': '6m0s' })?.delayMs).toBe(360_000);
    expect(hint({ 'x-ratelimit-reset-tokens': '20ms' })?.delayMs).toBe(20);
    expect(hint({ 'x-ratelimit-reset-tokens': '1h2m3.5s' })?.delayMs).toBe(3_723_500);
    expect(hint({ 'x-ratelimit-reset': new Date(NOW + 4000).toISOString() })?.delayMs).toBe(4000);
  });

  it('pairs each reset with its remaining count and waits for the exhausted one', () => {
    const openai = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '2s',
      'x-ratelimit-remaining-tokens': '1500',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    expect(hint(openai)?.delayMs).toBe(2000);
    expect(hint({ ...openai, 'x-ratelimit-remaining-tokens': '0' })?.delayMs).toBe(360_000);
    // Discord: reset-after pairs with the plain remaining header.
    expect(hint({ 'x-ratelimit-reset-after': '1.25', 'x-ratelimit-remaining': '0' })?.delayMs).toBe(1250);
    expect(hint({ 'x-ratelimit-reset': '30', 'x-ratelimit-remaining': '17' })).toBeUndefined();
  });

  it('ignores garbage and absurd values', () => {
    for (const value of ['soon', '-3', '1e5', '', '99999999999999999', '5 s', 'Infinitys']) {
      expect(hint({ 'x-ratelimit-reset': value }), value).toBeUndefined();
    }
  });
});

describe('readDelayHint: properties', () => {
  const names = fc.constantFrom(
    'retry-after-ms',
    'retry-after',
    'ratelimit',
    'ratelimit-reset',
    'ratelimit-remaining',
    'x-ratelimit-reset',
    'x-ratelimit-reset-tokens',
    'x-ratelimit-remaining',
    'date',
    'Retry-After',
  );
  const values = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.stringMatching(/^[\d.;=,"rt a-z-]{0,30}$/),
    fc.nat().map(String),
    fc.double().map(String),
    fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  );

  it('any headers give a finite, non-negative, bounded delay or no hint, and never throw', () => {
    fc.assert(
      fc.property(
        fc.dictionary(names, values),
        fc.option(fc.double(), { nil: undefined }),
        (headers, now) => {
          const result = readDelayHint(headers, { now });
          return (
            result === undefined ||
            (Number.isFinite(result.delayMs) && result.delayMs >= 0 && result.delayMs <= MAX_HINT_MS)
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
