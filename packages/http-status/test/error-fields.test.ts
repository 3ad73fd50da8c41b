// What an HttpStatusError carries, field by field: the URL it shows (never a credential, query or fragment, even
// when the URL does not parse), the body excerpt, the message, and the typed errors of a bad init.
import { InvalidOptionError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { imfFixdate } from './support/dates.js';
import {
  classify,
  createClassifier,
  HttpStatusError,
  IDEMPOTENT_METHODS,
  isIdempotentMethod,
  MAX_BODY_EXCERPT,
} from '../src/index.js';

describe('HttpStatusError: the URL it shows', () => {
  it('keeps origin and path of a parsed URL, without credentials, query or fragment', () => {
    const error = new HttpStatusError({
      status: 503,
      url: 'https://user:secret@api.example.com/v1/items?key=k#top',
    });
    expect(error.url).toBe('https://api.example.com/v1/items');
    expect(error.message).toBe('HTTP 503 from GET https://api.example.com/v1/items');
  });

  it('keeps scheme and path of a URL with an opaque origin (file:, data:)', () => {
    expect(new HttpStatusError({ status: 500, url: 'file:///srv/app/data.json?x=1' }).url).toBe(
      'file:/srv/app/data.json',
    );
  });

  it('cuts a URL that does not parse at its query or fragment and drops its credentials', () => {
    expect(new HttpStatusError({ status: 500, url: '//user:pw@host/path?key=1' }).url).toBe('//host/path');
    expect(new HttpStatusError({ status: 500, url: 'not a url#frag' }).url).toBe('not a url');
  });

  it('shows no URL and a message without one when none was given', () => {
    const error = new HttpStatusError({ status: 429, statusText: 'Too Many Requests', method: 'post' });
    expect(error.url).toBe('');
    expect(error.message).toBe('HTTP 429 Too Many Requests from POST');
  });
});

describe('HttpStatusError: the body excerpt', () => {
  it('keeps a string body up to MAX_BODY_EXCERPT characters', () => {
    const body = 'x'.repeat(MAX_BODY_EXCERPT + 10);
    expect(new HttpStatusError({ status: 500, body }).body).toBe('x'.repeat(MAX_BODY_EXCERPT));
  });

  it('serialises an object body as JSON, and leaves out one that cannot be serialised', () => {
    expect(new HttpStatusError({ status: 500, body: { error: 'busy' } }).body).toBe('{"error":"busy"}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(new HttpStatusError({ status: 500, body: cyclic }).body).toBeUndefined();
    expect(new HttpStatusError({ status: 500, body: null }).body).toBeUndefined();
  });
});

describe('HttpStatusError: a bad init is a typed error naming the field', () => {
  const failure = (init: unknown): InvalidOptionError => {
    try {
      new HttpStatusError(init as never);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      return error as InvalidOptionError;
    }
    throw new Error('no error');
  };

  it('status: an integer 100..999 or 0', () => {
    const error = failure({ status: 1000 });
    expect(error.option).toBe('status');
    expect(error.message).toContain('expected an integer 100..999 (or 0), got 1000');
  });

  it('url: a string or a URL', () => {
    const error = failure({ status: 500, url: 42 });
    expect(error.option).toBe('url');
    expect(error.message).toContain('expected a string or a URL, got 42');
  });

  it('decision: a StatusDecision, both of its flags booleans', () => {
    for (const decision of [null, 'retry', { retry: true }, { retry: 'yes', breakerFailure: false }]) {
      const error = failure({ status: 500, decision });
      expect(error.option).toBe('decision');
      expect(error.message).toContain('expected a StatusDecision (from classify)');
    }
    const decision = classify(500);
    expect(new HttpStatusError({ status: 500, decision }).decision).toBe(decision);
  });
});

describe('createClassifier: a bad override names the status and the field', () => {
  const failure = (overrides: unknown): InvalidOptionError => {
    try {
      createClassifier({ overrides: overrides as never });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      return error as InvalidOptionError;
    }
    throw new Error('no error');
  };

  it('a key that is not a status 100..999', () => {
    for (const key of ['99', '1000', 'abc', '200.5']) {
      const error = failure({ [key]: { retryable: true } });
      expect(error.option).toBe('overrides');
      expect(error.message).toContain('expected HTTP statuses (100..999) as keys');
    }
    expect(createClassifier({ overrides: { 100: { retryable: true } } })(100).retry).toBe(true);
    expect(createClassifier({ overrides: { 999: { retryable: true } } })(999).retry).toBe(true);
  });

  it('a field a rule does not have', () => {
    const error = failure({ 500: { retry: true } });
    expect(error.option).toBe('overrides.500');
    expect(error.message).toContain(
      'expected only kind, retryable, breakerFailure, notProcessed, got a field "retry"',
    );
  });

  it('a notProcessed that is neither a boolean nor withRetryAfter', () => {
    const error = failure({ 503: { notProcessed: 'yes' } });
    expect(error.option).toBe('overrides.503.notProcessed');
    expect(error.message).toContain("expected a boolean or 'withRetryAfter'");
    expect(() => createClassifier({ overrides: { 503: { notProcessed: 'withRetryAfter' } } })).not.toThrow();
  });
});

describe('isIdempotentMethod', () => {
  it('accepts the idempotent methods of RFC 9110 in any case, refuses the others', () => {
    for (const method of IDEMPOTENT_METHODS) {
      expect(isIdempotentMethod(method)).toBe(true);
      expect(isIdempotentMethod(method.toLowerCase())).toBe(true);
    }
    for (const method of ['POST', 'patch', 'CONNECT', 'PURGE'])
      expect(isIdempotentMethod(method)).toBe(false);
  });

  it('counts a missing, empty or non-string method as GET', () => {
    expect(isIdempotentMethod(undefined)).toBe(true);
    expect(isIdempotentMethod('')).toBe(true);
    expect(isIdempotentMethod(42)).toBe(true);
    expect(isIdempotentMethod(undefined, ['POST'])).toBe(false);
  });

  it('takes its own list of (upper-case) methods', () => {
    expect(isIdempotentMethod('post', ['POST'])).toBe(true);
    expect(isIdempotentMethod('GET', ['POST'])).toBe(false);
  });
});

describe('HttpStatusError: the decision and the delay hint it works out', () => {
  it('classifies with the request method and headers when no decision is given', () => {
    expect(new HttpStatusError({ status: 503, method: 'GET' }).decision.retry).toBe(true);
    expect(new HttpStatusError({ status: 503, method: 'POST' }).decision.retry).toBe(false);
    expect(
      new HttpStatusError({ status: 503, method: 'POST', headers: { 'retry-after': '3' } }).decision.retry,
    ).toBe(true);
  });

  it('reads a Retry-After date against `now`, not the wall clock', () => {
    const now = Date.UTC(2020, 0, 1, 12, 0, 0);
    const error = new HttpStatusError({
      status: 503,
      headers: { 'retry-after': imfFixdate(new Date(now + 5_000)) },
      now,
    });
    expect(error.retryAfterMs).toBe(5_000);
  });

  it('refuses a missing init, and a decision that is not an object, naming them', () => {
    expect(() => new HttpStatusError(undefined as never)).toThrow(/an options object with status/);
    const decision = Object.assign(() => undefined, { retry: true, breakerFailure: true });
    expect(() => new HttpStatusError({ status: 500, decision: decision as never })).toThrow(
      InvalidOptionError,
    );
  });
});
