// The edges of the exported parsers and classifiers: the length bounds of HTTP dates, durations and RateLimit
// fields (exactly at the bound is read, one past it is not), the epoch thresholds, a date's impossible fields,
// RFC 850's two-digit years at the 50-year limit, quoted strings and malformed members of RateLimit, how deep an
// error's cause chain is read, axios' cancellation, and values that are not objects at all.
import { isTimeoutError, TimeoutError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import {
  classifyError,
  createClassifier,
  delayHintMs,
  isAbortError,
  isNotSentError,
  isRetryableFailure,
  isTransientNetworkError,
  markNotRetryable,
  networkErrorCode,
  parseHttpDate,
  readDelayHint,
} from '../src/index.js';
import { imfFixdate } from './support/dates.js';

const NOW = Date.UTC(2026, 0, 1);

describe('parseHttpDate: fields out of range', () => {
  it('rejects second 61, minute 60 and hour 24 instead of rolling them over', () => {
    expect(parseHttpDate('Tue, 06 Nov 1994 08:49:60 GMT')).toBe(Date.UTC(1994, 10, 6, 8, 50, 0));
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:61 GMT')).toBeUndefined();
    expect(parseHttpDate('Sun, 06 Nov 1994 08:60:00 GMT')).toBeUndefined();
    expect(parseHttpDate('Sun, 06 Nov 1994 24:00:00 GMT')).toBeUndefined();
  });

  it('rejects day 0 and days past the end of the month, in every format', () => {
    expect(parseHttpDate('Sun, 00 Nov 1994 08:49:37 GMT')).toBeUndefined();
    expect(parseHttpDate('Sun, 31 Nov 1994 08:49:37 GMT')).toBeUndefined();
    expect(parseHttpDate('Sun Nov  0 08:49:37 1994')).toBeUndefined();
    expect(parseHttpDate('Sunday, 30-Feb-94 08:49:37 GMT', NOW)).toBeUndefined();
    expect(parseHttpDate('Sun, 30 Nov 1994 08:49:37 GMT')).toBe(Date.UTC(1994, 10, 30, 8, 49, 37));
  });

  it('reads a space-padded asctime day', () => {
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate('Sun Nov 16 08:49:37 1994')).toBe(Date.UTC(1994, 10, 16, 8, 49, 37));
  });

  it('reads a value of up to 64 characters, surrounding spaces included, and nothing longer', () => {
    const date = 'Sun, 06 Nov 1994 08:49:37 GMT';
    const padded = (length: number) => ` ${date}${' '.repeat(length - date.length - 1)}`;
    expect(padded(64)).toHaveLength(64);
    expect(parseHttpDate(padded(64))).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate(padded(65))).toBeUndefined();
  });
});

describe('parseHttpDate: RFC 850 two-digit years', () => {
  it('a year exactly 50 years ahead is read as ahead; a second later is the past century', () => {
    expect(parseHttpDate('Saturday, 01-Jan-76 00:00:00 GMT', NOW)).toBe(Date.UTC(2076, 0, 1));
    expect(parseHttpDate('Saturday, 01-Jan-76 00:00:01 GMT', NOW)).toBe(Date.UTC(1976, 0, 1, 0, 0, 1));
  });

  it('Feb 29 of year 00 is 2000 (2100 is no leap year), also when 2100 would be the nearer candidate', () => {
    expect(parseHttpDate('Tuesday, 29-Feb-00 12:00:00 GMT', NOW)).toBe(Date.UTC(2000, 1, 29, 12));
    expect(parseHttpDate('Tuesday, 29-Feb-00 12:00:00 GMT', Date.UTC(2080, 0, 1))).toBe(
      Date.UTC(2000, 1, 29, 12),
    );
  });
});

describe('reset values of rate-limit headers', () => {
  it('tell epoch seconds from delta seconds at exactly 10^9, and epoch milliseconds at exactly 10^12', () => {
    expect(delayHintMs({ 'x-ratelimit-reset': '999999999' }, { now: NOW })).toBe(999_999_999_000);
    expect(delayHintMs({ 'x-ratelimit-reset': '1000000000' }, { now: 1e12 - 3000 })).toBe(3000);
    expect(delayHintMs({ 'x-ratelimit-reset': '1000000000000' }, { now: 1e12 - 5000 })).toBe(5000);
  });

  it('are read with surrounding spaces, in records as in the RateLimit-Reset family', () => {
    expect(delayHintMs({ 'ratelimit-reset': ' 30 ' }, { now: NOW })).toBe(30_000);
    expect(
      delayHintMs({ 'ratelimit-reset': ' 30 ', 'ratelimit-remaining': ' 1 ' }, { now: NOW }),
    ).toBeUndefined();
    expect(delayHintMs({ 'ratelimit-reset': '30', 'ratelimit-remaining': ' 0 ' }, { now: NOW })).toBe(30_000);
  });

  it('a remaining count that is not a number is unknown: the reset still counts', () => {
    expect(delayHintMs({ 'ratelimit-reset': '30', 'ratelimit-remaining': 'many' }, { now: NOW })).toBe(
      30_000,
    );
    expect(delayHintMs({ 'ratelimit-reset': '30', 'ratelimit-remaining': '-1' }, { now: NOW })).toBe(30_000);
  });

  it('an HTTP date is measured from the reference; garbage gives nothing', () => {
    const at = NOW + 42_000;
    expect(delayHintMs({ 'ratelimit-reset': imfFixdate(new Date(at)) }, { now: NOW })).toBe(42_000);
    expect(delayHintMs({ 'ratelimit-reset': imfFixdate(new Date(NOW - 5000)) }, { now: NOW })).toBe(0);
    expect(delayHintMs({ 'ratelimit-reset': 'soon' }, { now: NOW })).toBeUndefined();
  });

  it('a Go-style duration of up to 64 characters is read; a longer one is not', () => {
    const duration = '1s'.repeat(32);
    expect(duration).toHaveLength(64);
    expect(delayHintMs({ 'x-ratelimit-reset': duration }, { now: NOW })).toBe(32_000);
    expect(delayHintMs({ 'x-ratelimit-reset': `${'1s'.repeat(31)}10s` }, { now: NOW })).toBeUndefined();
  });
});

describe('the x-ratelimit-reset family', () => {
  it('a listed reset header without a readable value is skipped, and the others are still read', () => {
    expect(delayHintMs({ 'x-ratelimit-reset': {}, 'x-ratelimit-reset-tokens': '5' }, { now: NOW })).toBe(
      5000,
    );
  });

  it('a suffixed reset without its own remaining count takes the plain one', () => {
    const reset = { 'x-ratelimit-reset-requests': '5' };
    expect(delayHintMs({ ...reset, 'x-ratelimit-remaining': '3' }, { now: NOW })).toBeUndefined();
    expect(delayHintMs({ ...reset, 'x-ratelimit-remaining': '0' }, { now: NOW })).toBe(5000);
    expect(
      delayHintMs(
        { ...reset, 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining': '3' },
        { now: NOW },
      ),
    ).toBe(5000);
  });
});

describe('the RateLimit field', () => {
  const hint = (value: string) => readDelayHint({ ratelimit: value }, { now: NOW });

  it('a quoted policy name may hold escaped quotes, commas and semicolons', () => {
    expect(hint('"pol\\"icy";r=0;t=5')).toEqual({ delayMs: 5000, header: 'ratelimit' });
    expect(hint('"a,b;c";r=0;t=6')?.delayMs).toBe(6000);
    expect(hint('"x\\\\";r=0;t=7')?.delayMs).toBe(7000);
  });

  it('a quoted policy name holding "=" is a policy, also after other members or after spaces', () => {
    expect(hint('limit=100, "q=1";r=0;t=5')?.delayMs).toBe(5000);
    expect(hint(' "q=1";r=0;t=5, limit=100')?.delayMs).toBe(5000);
  });

  it('a member with nothing before "=" is no dictionary entry: it is read as a policy, its parameters counted', () => {
    expect(hint('=x;r=0;t=5')?.delayMs).toBe(5000);
    expect(hint('=30, "b";r=0;t=6')?.delayMs).toBe(6000);
  });

  it('parameters without a value are skipped, the others read', () => {
    expect(hint('"default";r=0;flag;t=5')?.delayMs).toBe(5000);
  });

  it('dictionary keys may have spaces around "="', () => {
    expect(hint('limit=100, remaining = 0, reset = 30')?.delayMs).toBe(30_000);
    expect(hint('remaining = 1, reset = 30')).toBeUndefined();
  });

  it('is read up to 4096 characters, and not beyond', () => {
    const field = (length: number) => `reset=30${' '.repeat(length - 8)}`;
    expect(field(4096)).toHaveLength(4096);
    expect(hint(field(4096))?.delayMs).toBe(30_000);
    expect(hint(field(4097))).toBeUndefined();
  });
});

describe('a classifier called without request options', () => {
  it('reads the request as a GET with no key and no headers, whatever its idempotent methods', () => {
    const putOnly = createClassifier({ idempotentMethods: ['PUT'] });
    expect(putOnly(503).retry).toBe(false);
    expect(putOnly(503, { method: 'PUT' }).retry).toBe(true);
    expect(createClassifier({ idempotentMethods: ['PUT'], retryUnsafe: true })(503).retry).toBe(true);
  });
});

describe('retry-after-ms', () => {
  it('is read with surrounding spaces', () => {
    expect(readDelayHint({ 'retry-after-ms': ' 250 ' }, { now: NOW })).toEqual({
      delayMs: 250,
      header: 'retry-after-ms',
    });
  });

  it('only as plain digits: another number form is skipped for the next header', () => {
    for (const ms of ['1e3', '-5', 'Infinity', '0x10', '']) {
      expect(readDelayHint({ 'retry-after-ms': ms, 'retry-after': '5' }, { now: NOW })).toEqual({
        delayMs: 5000,
        header: 'retry-after',
      });
    }
  });
});

describe('classifier option messages say what was expected', () => {
  const messageOf = (build: () => unknown): string => {
    try {
      build();
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  };

  it('overrides, a rule, idempotentMethods', () => {
    expect(messageOf(() => createClassifier({ overrides: 5 as never }))).toBe(
      'Invalid option "overrides": expected an object keyed by status, got 5',
    );
    expect(messageOf(() => createClassifier({ overrides: { 503: 5 as never } }))).toBe(
      'Invalid option "overrides.503": expected a rule ({ kind, retryable, breakerFailure, notProcessed }), got 5',
    );
    expect(messageOf(() => createClassifier({ idempotentMethods: 'GET' as never }))).toBe(
      'Invalid option "idempotentMethods": expected an array of method names, got "GET"',
    );
  });
});

describe('network errors: cause chains, cancellations and values that are not errors', () => {
  const coded = (code: string) => Object.assign(new Error(code), { code });
  /** `error` wrapped in `depth` Errors, each the cause of the next. */
  const wrapped = (error: unknown, depth: number): unknown =>
    depth === 0 ? error : new Error(`wrapper ${depth}`, { cause: wrapped(error, depth - 1) });

  it('reads a code up to 5 errors deep (the error itself and 4 causes), not deeper', () => {
    expect(networkErrorCode(wrapped(coded('ECONNRESET'), 4))).toBe('ECONNRESET');
    expect(networkErrorCode(wrapped(coded('ECONNRESET'), 5))).toBeUndefined();
  });

  it('an error that is its own cause is read once: a wrapper saying fetch failed still counts', () => {
    const error = new Error('[SDK Error]: Error fetching from https://api.example.com/v1: fetch failed');
    (error as { cause?: unknown }).cause = error;
    expect(networkErrorCode(error)).toBe('FETCH_FAILED');
  });

  it('an AggregateError whose first member is null has no deeper link', () => {
    const error = Object.assign(new Error('Error fetching from https://api.example.com/: fetch failed'), {
      errors: [null],
    });
    expect(networkErrorCode(error)).toBe('FETCH_FAILED');
  });

  it('a code that is not a network code is none, whatever its type', () => {
    expect(networkErrorCode(coded('EACCES'))).toBeUndefined();
    expect(networkErrorCode(Object.assign(new Error('x'), { code: 104 }))).toBeUndefined();
    expect(isTransientNetworkError(coded('ERR_INVALID_ARG_TYPE'))).toBe(false);
  });

  it("axios' cancellation (ERR_CANCELED) is an abort, never a network error", () => {
    const canceled = Object.assign(new Error('canceled'), { name: 'CanceledError', code: 'ERR_CANCELED' });
    expect(isAbortError(canceled)).toBe(true);
    expect(networkErrorCode(new Error('request failed', { cause: canceled }))).toBeUndefined();
    expect(isAbortError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
  });

  it('values that are not objects are no errors of any kind, and never throw', () => {
    for (const value of [null, undefined, 'AbortError', 0, () => undefined]) {
      expect(isAbortError(value)).toBe(false);
      expect(networkErrorCode(value)).toBeUndefined();
      expect(isNotSentError(value)).toBe(false);
      expect(classifyError(value)).toEqual({ kind: 'other', retry: false, breakerFailure: false });
    }
    const namedAbortError = function AbortError() {};
    expect(isAbortError(namedAbortError)).toBe(false);
  });
});

describe('marked errors', () => {
  it('markNotRetryable returns primitives as they are, null included', () => {
    expect(markNotRetryable(null)).toBeNull();
    expect(markNotRetryable(undefined)).toBeUndefined();
    expect(markNotRetryable('x')).toBe('x');
  });

  it('only a timeout carries the mark of its cause; a network error wrapping a marked error is retried', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const marked = markNotRetryable(Object.assign(new Error('inner'), { code: 'ECONNRESET' }));
    const wrapper = new TypeError('fetch failed', { cause: marked });
    expect(isRetryableFailure(wrapper)).toBe(true);
    const timedOut = new TimeoutError(1000, { cause: marked });
    expect(isTimeoutError(timedOut)).toBe(true);
    expect(isRetryableFailure(timedOut)).toBe(false);
    expect(isRetryableFailure(new TimeoutError(1000, { cause: reset }))).toBe(true);
    expect(isRetryableFailure(new TimeoutError(1000, { cause: 'not an object' }))).toBe(true);
  });
});
