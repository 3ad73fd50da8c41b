import { InvalidOptionError } from '@bulwark/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClassifyOptions, classify, createClassifier, type StatusKind } from '../src/index.js';

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'get', 'delete'];
const UNSAFE_METHODS = ['POST', 'PATCH', 'CONNECT', 'PURGE', 'post', 'patch'];

/** The expected defaults, written out independently of the implementation. */
function expected(status: number): { kind: StatusKind; retryable: boolean; breakerFailure: boolean } {
  switch (status) {
    case 408:
      return { kind: 'transient', retryable: true, breakerFailure: true };
    case 425:
      return { kind: 'transient', retryable: true, breakerFailure: false };
    case 429:
      return { kind: 'throttled', retryable: true, breakerFailure: false };
    case 500:
    case 502:
    case 503:
    case 504:
      return { kind: 'transient', retryable: true, breakerFailure: true };
    // Not Implemented is about the request: not retried, and not held against the dependency's health.
    case 501:
      return { kind: 'permanent', retryable: false, breakerFailure: false };
  }
  if (status < 400) return { kind: 'success', retryable: false, breakerFailure: false };
  if (status < 500) return { kind: 'clientError', retryable: false, breakerFailure: false };
  return { kind: 'permanent', retryable: false, breakerFailure: true };
}

/** Statuses whose answer proves the request was not processed, so unsafe methods may be retried. */
const NOT_PROCESSED = new Set([425, 429]);

const ALL_STATUSES = [0, ...Array.from({ length: 500 }, (_, i) => 100 + i), 600, 799, 999];

describe('classify: the default table', () => {
  it('classifies every status 100..599 (and 0, 600+) for every safe method', () => {
    for (const method of SAFE_METHODS) {
      for (const status of ALL_STATUSES) {
        const e = expected(status);
        expect(classify(status, { method }), `${method} ${status}`).toEqual({
          status,
          ...e,
          retry: e.retryable,
        });
      }
    }
  });

  it('retries unsafe methods only where the status proves the request was not processed', () => {
    for (const method of UNSAFE_METHODS) {
      for (const status of ALL_STATUSES) {
        const e = expected(status);
        const retry = e.retryable && NOT_PROCESSED.has(status);
        expect(classify(status, { method }), `${method} ${status}`).toEqual({ status, ...e, retry });
      }
    }
  });

  it.each([
    [200, 'success', false, false],
    [204, 'success', false, false],
    [304, 'success', false, false],
    [400, 'clientError', false, false],
    [401, 'clientError', false, false],
    [404, 'clientError', false, false],
    [409, 'clientError', false, false],
    [408, 'transient', true, true],
    [425, 'transient', true, false],
    [429, 'throttled', true, false],
    [500, 'transient', true, true],
    [501, 'permanent', false, false],
    [502, 'transient', true, true],
    [503, 'transient', true, true],
    [504, 'transient', true, true],
    [505, 'permanent', false, true],
    [507, 'permanent', false, true],
    [511, 'permanent', false, true],
  ] as const)('GET %i is %s (retry %s, breaker failure %s)', (status, kind, retry, breakerFailure) => {
    expect(classify(status)).toMatchObject({ kind, retry, retryable: retry, breakerFailure });
  });

  it('treats a missing or empty method as GET', () => {
    expect(classify(503).retry).toBe(true);
    expect(classify(503, { method: '' }).retry).toBe(true);
  });

  it('rejects values that are not HTTP statuses with a RangeError', () => {
    for (const bad of [-1, 1, 99, 1000, 200.5, Number.NaN, Number.POSITIVE_INFINITY, '200', undefined]) {
      expect(() => classify(bad as number)).toThrow(RangeError);
    }
  });
});

describe('classify: idempotency rules for unsafe methods', () => {
  const post = (status: number, extra: Partial<ClassifyOptions> = {}) =>
    classify(status, { method: 'POST', ...extra }).retry;

  it('retries any retryable status when the request carries an idempotency key', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504])
      expect(post(status, { idempotencyKey: true })).toBe(true);
    expect(post(501, { idempotencyKey: true })).toBe(false);
    expect(post(404, { idempotencyKey: true })).toBe(false);
  });

  it('retries a 503 only when it carries a usable Retry-After', () => {
    expect(post(503)).toBe(false);
    expect(post(503, { headers: { 'Retry-After': '3' } })).toBe(true);
    expect(post(503, { headers: new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }) })).toBe(
      true,
    );
    expect(post(503, { headers: { 'retry-after-ms': '250' } })).toBe(true);
    expect(post(503, { headers: { 'retry-after': 'soon' } })).toBe(false);
    expect(post(503, { headers: { 'x-ratelimit-reset': '3' } })).toBe(false);
    // A Retry-After on a 500 or 502 proves nothing about processing.
    expect(post(500, { headers: { 'retry-after': '3' } })).toBe(false);
    expect(post(502, { headers: { 'retry-after': '3' } })).toBe(false);
  });

  it('retries 429 and 425 (refused before processing) without a key', () => {
    expect(post(429)).toBe(true);
    expect(post(425)).toBe(true);
    expect(classify(429, { method: 'PATCH' }).retry).toBe(true);
  });

  it('retries every retryable status when the caller opts in', () => {
    for (const status of [408, 500, 502, 503, 504]) {
      expect(post(status)).toBe(false);
      expect(post(status, { retryUnsafe: true })).toBe(true);
    }
    expect(post(400, { retryUnsafe: true })).toBe(false);
  });
});

describe('createClassifier', () => {
  it('overrides single fields of a status and keeps the rest', () => {
    const c = createClassifier({
      overrides: { 404: { retryable: true }, 503: { breakerFailure: false }, 429: { notProcessed: false } },
    });
    expect(c(404)).toMatchObject({
      kind: 'clientError',
      retryable: true,
      retry: true,
      breakerFailure: false,
    });
    expect(c(404, { method: 'POST' }).retry).toBe(false);
    expect(c(503)).toMatchObject({ kind: 'transient', retry: true, breakerFailure: false });
    expect(c(429, { method: 'POST' }).retry).toBe(false);
    expect(c(500)).toEqual(classify(500));
  });

  it('can make a status prove non-processing, always or only with Retry-After', () => {
    const c = createClassifier({
      overrides: { 502: { notProcessed: true }, 500: { notProcessed: 'withRetryAfter' } },
    });
    expect(c(502, { method: 'POST' }).retry).toBe(true);
    expect(c(500, { method: 'POST' }).retry).toBe(false);
    expect(c(500, { method: 'POST', headers: { 'retry-after': '1' } }).retry).toBe(true);
  });

  it('takes its own idempotent-method list (e.g. excluding PUT and DELETE)', () => {
    const c = createClassifier({ idempotentMethods: ['GET', 'head'] });
    expect(c(503, { method: 'HEAD' }).retry).toBe(true);
    expect(c(503, { method: 'PUT' }).retry).toBe(false);
    expect(c(503, { method: 'DELETE' }).retry).toBe(false);
    expect(c.idempotentMethods).toEqual(['GET', 'HEAD']);
  });

  it('takes retryUnsafe as a default that a call can override', () => {
    const c = createClassifier({ retryUnsafe: true });
    expect(c(500, { method: 'POST' }).retry).toBe(true);
    expect(c(500, { method: 'POST', retryUnsafe: false }).retry).toBe(false);
  });

  it('returns frozen decisions', () => {
    const d = classify(503);
    expect(Object.isFrozen(d)).toBe(true);
  });

  it.each([
    [{ overrides: { 42: { retryable: true } } }, 'overrides'],
    [{ overrides: { abc: { retryable: true } } }, 'overrides'],
    [{ overrides: { 404: null } }, 'overrides.404'],
    [{ overrides: { 404: { retryable: 'yes' } } }, 'overrides.404.retryable'],
    [{ overrides: { 404: { breakerFailure: 1 } } }, 'overrides.404.breakerFailure'],
    [{ overrides: { 404: { kind: 'fatal' } } }, 'overrides.404.kind'],
    [{ overrides: { 404: { notProcessed: 'maybe' } } }, 'overrides.404.notProcessed'],
    [{ overrides: { 404: { retry: true } } }, 'overrides.404'],
    [{ overrides: 'all' }, 'overrides'],
    [{ idempotentMethods: 'GET' }, 'idempotentMethods'],
    [{ idempotentMethods: ['GET', ''] }, 'idempotentMethods'],
    [{ retryUnsafe: 'yes' }, 'retryUnsafe'],
  ])('rejects bad options at construction: %j', (options, option) => {
    let error: unknown;
    try {
      createClassifier(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
  });
});

describe('classifiers: properties', () => {
  const kinds = fc.constantFrom<StatusKind>('success', 'clientError', 'throttled', 'transient', 'permanent');
  const rule = fc.record(
    {
      kind: kinds,
      retryable: fc.boolean(),
      breakerFailure: fc.boolean(),
      notProcessed: fc.constantFrom(true, false, 'withRetryAfter' as const),
    },
    { requiredKeys: [] },
  );
  const status = fc.integer({ min: 100, max: 999 });
  const method = fc.constantFrom('GET', 'PUT', 'POST', 'PATCH', 'get', 'PURGE');
  const request = fc.record(
    {
      method,
      idempotencyKey: fc.boolean(),
      retryUnsafe: fc.boolean(),
      headers: fc.constantFrom({}, { 'retry-after': '5' }, { 'retry-after': 'junk' }),
    },
    { requiredKeys: [] },
  );

  it('retry implies retryable; overridden fields win; the rest keeps the default', () => {
    fc.assert(
      fc.property(fc.dictionary(status.map(String), rule), status, request, (overrides, s, req) => {
        const c = createClassifier({ overrides });
        const d = c(s, req);
        const base = classify(s, req);
        const o = overrides[String(s)] ?? {};
        expect(d.status).toBe(s);
        if (d.retry) expect(d.retryable).toBe(true);
        expect(d.kind).toBe(o.kind ?? base.kind);
        expect(d.retryable).toBe(o.retryable ?? base.retryable);
        expect(d.breakerFailure).toBe(o.breakerFailure ?? base.breakerFailure);
        // An idempotent method, a key or an opt-in always allows a retryable status to be retried.
        const safe =
          ['GET', 'PUT'].includes((req.method ?? 'GET').toUpperCase()) ||
          req.idempotencyKey ||
          req.retryUnsafe;
        if (safe) expect(d.retry).toBe(d.retryable);
      }),
      { numRuns: 500 },
    );
  });
});
