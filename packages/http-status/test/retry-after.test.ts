import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HINT_MS, parseHttpDate, parseRetryAfter } from '../src/index.js';
import { asctime, imfFixdate, rfc850, toSecond } from './support/dates.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);
const YEAR = 365.25 * 24 * 3600 * 1000;

describe('parseRetryAfter: delta-seconds', () => {
  it.each([
    ['0', 0],
    ['1', 1000],
    ['120', 120_000],
    ['  30  ', 30_000],
    ['007', 7000],
    ['1.5', 1500],
    ['0.0001', 1],
    ['86400', 86_400_000],
    ['2147483647', MAX_HINT_MS],
  ])('%j -> %i ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([
    '',
    '   ',
    '-1',
    '+5',
    '1e3',
    '0x10',
    '1,5',
    '1.',
    '.5',
    '5s',
    'Infinity',
    'NaN',
    '2147483648',
    '99999999999999999999',
    '1'.repeat(400),
    'soon',
    '120, 120',
  ])('%j -> undefined', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('gives undefined for values that are not strings', () => {
    for (const value of [undefined, null, 5, {}, [], Symbol('x')])
      expect(parseRetryAfter(value)).toBeUndefined();
  });
});

describe('parseRetryAfter / parseHttpDate: HTTP-dates', () => {
  const date = new Date(Date.UTC(1994, 10, 6, 8, 49, 37));

  it('reads the three formats RFC 9110 allows', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(date.getTime());
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(date.getTime());
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(date.getTime());
  });

  it('measures a future date from now, and gives 0 for a date in the past', () => {
    expect(parseRetryAfter(imfFixdate(new Date(NOW + 90_000)), NOW)).toBe(90_000);
    expect(parseRetryAfter(asctime(new Date(NOW + 5000)), NOW)).toBe(5000);
    expect(parseRetryAfter(rfc850(new Date(NOW + 61_000)), NOW)).toBe(61_000);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
    expect(parseRetryAfter(imfFixdate(new Date(NOW)), NOW)).toBe(0);
  });

  it('reads a two-digit year more than 50 years ahead as the past century', () => {
    // Now is 2024: "74" is 2074 (50 years ahead), "75" would be 2075 (51 ahead) and so is 1975.
    expect(new Date(parseHttpDate('Monday, 01-Jan-74 00:00:00 GMT', NOW)!).getUTCFullYear()).toBe(2074);
    expect(new Date(parseHttpDate('Wednesday, 01-Jan-75 00:00:00 GMT', NOW)!).getUTCFullYear()).toBe(1975);
    expect(new Date(parseHttpDate('Saturday, 01-Jan-00 00:00:00 GMT', NOW)!).getUTCFullYear()).toBe(2000);
  });

  it('reads a leap second as the start of the next minute, and Feb 29 only in leap years', () => {
    expect(parseHttpDate('Sat, 31 Dec 2016 23:59:60 GMT')).toBe(Date.UTC(2017, 0, 1));
    expect(parseHttpDate('Thu, 29 Feb 2024 00:00:00 GMT')).toBe(Date.UTC(2024, 1, 29));
    expect(parseHttpDate('Wed, 29 Feb 2023 00:00:00 GMT')).toBeUndefined();
    // Two-digit years: "00" near 2024 is 2000, a leap year.
    expect(parseHttpDate('Tuesday, 29-Feb-00 00:00:00 GMT', NOW)).toBe(Date.UTC(2000, 1, 29));
  });

  it('accepts names in any case and surrounding spaces', () => {
    expect(parseHttpDate('  sun, 06 NOV 1994 08:49:37 gmt ')).toBe(date.getTime());
  });

  it.each([
    'Sun, 31 Feb 2024 08:49:37 GMT',
    'Sun, 06 Nov 1994 24:00:00 GMT',
    'Sun, 06 Nov 1994 08:60:00 GMT',
    'Sun, 00 Nov 1994 08:49:37 GMT',
    'Sun, 06 Foo 1994 08:49:37 GMT',
    'Sun, 06 Nov 1994 08:49:37 UTC',
    'Sun, 06 Nov 1994 08:49:37 +0000',
    'Sun, 6 Nov 1994 08:49:37 GMT',
    'Sun, 06 Nov 94 08:49:37 GMT',
    'Sunday, 06-Nov-1994 08:49:37 GMT',
    'Sun Nov 6 08:49:37 1994',
    '1994-11-06T08:49:37Z',
    'Funday, 06 Nov 1994 08:49:37 GMT',
    'tomorrow',
  ])('rejects %j', (value) => {
    expect(parseHttpDate(value, NOW)).toBeUndefined();
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('treats a date more than 2^31 s ahead as garbage, not as a wait', () => {
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', NOW)).toBeUndefined();
  });

  it('falls back to the wall clock when now is not a usable number', () => {
    const future = imfFixdate(new Date(Date.now() + 3_600_000));
    for (const now of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const ms = parseRetryAfter(future, now)!;
      expect(ms).toBeGreaterThan(3_500_000);
      expect(ms).toBeLessThanOrEqual(3_600_000);
    }
  });
});

describe('parsers: properties', () => {
  const anyString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
    fc.stringMatching(/^[ \d.+-]{0,24}$/),
    fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
    fc.constantFrom('1e309', '9'.repeat(400), '-0', '0.', 'NaN', 'Infinity', '\u00a05', '\t7\n'),
  );
  const anyNow = fc.oneof(
    fc.integer({ min: 0, max: 4_102_444_800_000 }),
    fc.double(),
    fc.constant(Number.NaN),
    fc.constant(undefined),
  );

  it('any string gives a finite, non-negative, bounded number or undefined (never NaN, never a throw)', () => {
    fc.assert(
      fc.property(anyString, anyNow, (value, now) => {
        const ms = parseRetryAfter(value, now as number);
        return (
          ms === undefined || (Number.isFinite(ms) && ms >= 0 && ms <= MAX_HINT_MS && Number.isInteger(ms))
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('delta-seconds round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_147_483_647 }), (seconds) => {
        expect(parseRetryAfter(String(seconds), NOW)).toBe(seconds * 1000);
      }),
    );
  });

  const dates = fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59) });

  it('IMF-fixdate and asctime round-trip for any date from 1900 to 9999', () => {
    fc.assert(
      fc.property(dates, (ms) => {
        const d = new Date(ms);
        expect(parseHttpDate(imfFixdate(d), NOW)).toBe(toSecond(ms));
        expect(parseHttpDate(asctime(d), NOW)).toBe(toSecond(ms));
        expect(parseHttpDate(d.toUTCString(), NOW)).toBe(toSecond(ms));
      }),
      { numRuns: 500 },
    );
  });

  it('RFC 850 round-trips for any date within 49 years of now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.double({ min: -49, max: 49, noNaN: true }),
        (now, offsetYears) => {
          const ms = Math.round(now + offsetYears * YEAR);
          expect(parseHttpDate(rfc850(new Date(ms)), now)).toBe(toSecond(ms));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a date in the future gives exactly the distance to it; one in the past gives 0', () => {
    fc.assert(
      fc.property(dates, fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }), (ms, now) => {
        const delay = parseRetryAfter(imfFixdate(new Date(ms)), now);
        const distance = toSecond(ms) - now;
        if (distance > MAX_HINT_MS) expect(delay).toBeUndefined();
        else expect(delay).toBe(Math.max(0, distance));
      }),
      { numRuns: 500 },
    );
  });
});
