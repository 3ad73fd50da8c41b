import { createRequire } from 'node:module';
import {
  BrokenCircuitError,
  circuitBreaker,
  consecutive,
  constant,
  isBulwarkError,
  isExecutionRejectedError,
  isOverloadError,
  RateLimitedError,
  retry,
  retryAfterOf,
  TimeoutError,
} from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { describe, expect, it } from 'vitest';
import {
  classify,
  classifyError,
  createClassifier,
  HttpStatusError,
  handle,
  isHttpStatusError,
  MAX_BODY_EXCERPT,
  markIfUnsafeToRetry,
  markNotRetryable,
} from '../src/index.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);
const netError = (code: string) =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

describe('HttpStatusError', () => {
  it('carries status, method, url, headers, decision and the delay hint', () => {
    const error = new HttpStatusError({
      status: 503,
      statusText: 'Service Unavailable',
      method: 'post',
      url: 'https://user:secret@api.example.com/v1/items?key=abc#frag',
      headers: { 'Retry-After': '3', 'Content-Type': 'text/plain' },
      body: 'down for maintenance',
      now: NOW,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('HttpStatusError');
    expect(error.status).toBe(503);
    expect(error.statusText).toBe('Service Unavailable');
    expect(error.method).toBe('POST');
    // Credentials, query and fragment are left out: URLs carry keys, and errors get logged.
    expect(error.url).toBe('https://api.example.com/v1/items');
    expect(error.message).toBe('HTTP 503 Service Unavailable from POST https://api.example.com/v1/items');
    expect(error.message).not.toContain('secret');
    expect(error.headers.get('content-type')).toBe('text/plain');
    expect(error.body).toBe('down for maintenance');
    expect(error.retryAfterMs).toBe(3000);
    // POST + 503 with Retry-After: proven not processed, so retryable.
    expect(error.decision).toEqual({
      status: 503,
      kind: 'transient',
      retryable: true,
      retry: true,
      breakerFailure: true,
    });
  });

  it('is a Bulwark error that core reads', () => {
    const error = new HttpStatusError({ status: 429, headers: { 'retry-after': '2' } });
    expect(isBulwarkError(error)).toBe(true);
    expect(retryAfterOf(error)).toBe(2000);
    expect(isHttpStatusError(error)).toBe(true);
    expect(isHttpStatusError(new Error('x'))).toBe(false);
    expect(isHttpStatusError(null)).toBe(false);
  });

  it('bounds the body excerpt and serialises data bodies safely', () => {
    expect(new HttpStatusError({ status: 500, body: 'x'.repeat(10_000) }).body).toHaveLength(
      MAX_BODY_EXCERPT,
    );
    expect(new HttpStatusError({ status: 500, body: { error: 'boom' } }).body).toBe('{"error":"boom"}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(new HttpStatusError({ status: 500, body: cyclic }).body).toBeUndefined();
    expect(new HttpStatusError({ status: 500 }).body).toBeUndefined();
  });

  it('keeps valid headers and drops ones fetch Headers would reject', () => {
    const error = new HttpStatusError({
      status: 500,
      headers: { ok: 'yes', 'bad header': 'x', evil: 'a\r\nb' },
    });
    expect(error.headers.get('ok')).toBe('yes');
    const names: string[] = [];
    error.headers.forEach((_value, name) => {
      names.push(name);
    });
    expect(names).toEqual(['ok']);
  });

  it('uses a given decision, classifier or hint', () => {
    const lenient = createClassifier({ overrides: { 404: { retryable: true } } });
    expect(new HttpStatusError({ status: 404, classify: lenient }).decision.retry).toBe(true);
    expect(new HttpStatusError({ status: 404 }).decision.retry).toBe(false);
    const decision = classify(500, { method: 'POST' });
    expect(new HttpStatusError({ status: 500, decision }).decision).toBe(decision);
    expect(
      new HttpStatusError({ status: 503, retryAfterMs: 42, headers: { 'retry-after': '9' } }).retryAfterMs,
    ).toBe(42);
  });

  it('core retry waits exactly the server hint it carries', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, backoff: constant(10), handle: handle.retry });
    const delays: number[] = [];
    policy.on('retry', (e) => delays.push(e.delay));
    let calls = 0;
    const result = policy.execute(() => {
      calls++;
      if (calls === 1) throw new HttpStatusError({ status: 503, headers: { 'retry-after': '7' } });
      return 'ok';
    });
    await clock.advance(6999);
    expect(calls).toBe(1);
    await clock.advance(1);
    await expect(result).resolves.toBe('ok');
    expect(delays).toEqual([7000]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('HttpStatusError: its code and brand', () => {
  it("has its own code, HTTP_STATUS, read through core's brand", () => {
    const error = new HttpStatusError({ status: 503 });
    expect(error.code).toBe('HTTP_STATUS');
    expect(isBulwarkError(error)).toBe(true);
    expect(isHttpStatusError(error)).toBe(true);
    // An answer from the server: not a local refusal.
    expect(isExecutionRejectedError(error)).toBe(false);
    expect(isHttpStatusError(new BrokenCircuitError())).toBe(false);
    expect(isHttpStatusError(Object.assign(new Error('HTTP 503'), { status: 503 }))).toBe(false);
  });

  it('isHttpStatusError recognises one from another copy of the package, both ways', () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../dist/index.cjs') as typeof import('../src/index.js');
    const foreign = new cjs.HttpStatusError({ status: 429 });
    expect(foreign instanceof HttpStatusError).toBe(false);
    expect(isHttpStatusError(foreign)).toBe(true);
    expect(cjs.isHttpStatusError(new HttpStatusError({ status: 500 }))).toBe(true);
    // The brand is core's registered symbol: a copy made by hand is recognised too.
    expect(isHttpStatusError({ [Symbol.for('bulwark.error')]: 'HTTP_STATUS' })).toBe(true);
    expect(isHttpStatusError({ [Symbol.for('bulwark.error')]: 'BULWARK_ERROR' })).toBe(false);
  });

  it("core's defaults read it as before: a breaker counts it, overload is a 429 or a 503", async () => {
    expect(isOverloadError(new HttpStatusError({ status: 503 }))).toBe(true);
    expect(isOverloadError(new HttpStatusError({ status: 429 }))).toBe(true);
    expect(isOverloadError(new HttpStatusError({ status: 500 }))).toBe(false);
    const breaker = circuitBreaker({ strategy: consecutive(1), clock: new VirtualClock() });
    await expect(
      breaker.execute(() => Promise.reject(new HttpStatusError({ status: 500 }))),
    ).rejects.toBeInstanceOf(HttpStatusError);
    expect(breaker.state).toBe('open');
  });
});

describe('classifyError and handle', () => {
  const http = (status: number, method = 'GET', headers = {}) =>
    new HttpStatusError({ status, method, headers });

  it.each([
    ['GET 503', http(503), 'http', true, true],
    ['GET 500', http(500), 'http', true, true],
    ['GET 429', http(429), 'http', true, false],
    ['GET 404', http(404), 'http', false, false],
    ['GET 501', http(501), 'http', false, false],
    ['POST 500', http(500, 'POST'), 'http', false, true],
    ['POST 429', http(429, 'POST'), 'http', true, false],
    ['ECONNRESET', netError('ECONNRESET'), 'network', true, true],
    ['ECONNREFUSED', netError('ECONNREFUSED'), 'network', true, true],
    ['attempt timeout', new TimeoutError(50), 'timeout', true, true],
    ['caller abort', new DOMException('aborted', 'AbortError'), 'abort', false, false],
    ['open circuit', new BrokenCircuitError(), 'other', false, false],
    ['rate limited', new RateLimitedError(100), 'other', false, false],
    ['a bug', new TypeError('x is not a function'), 'other', false, false],
    ['a thrown string', 'oops', 'other', false, false],
  ])('%s', (_label, error, kind, retryIt, breakerFailure) => {
    expect(classifyError(error)).toEqual({ kind, retry: retryIt, breakerFailure });
    expect(handle.retry(error)).toBe(retryIt);
    expect(handle.breaker(error)).toBe(breakerFailure);
  });

  it('takes the request into account for network errors and timeouts', () => {
    const post = { method: 'POST' };
    expect(classifyError(netError('ECONNRESET'), post).retry).toBe(false);
    expect(classifyError(netError('ETIMEDOUT'), post).retry).toBe(false);
    expect(classifyError(new TimeoutError(50), post).retry).toBe(false);
    // Never connected: nothing was sent, so even a POST may be repeated.
    expect(classifyError(netError('ECONNREFUSED'), post).retry).toBe(true);
    expect(classifyError(netError('ENOTFOUND'), post).retry).toBe(true);
    expect(classifyError(netError('ECONNRESET'), { method: 'POST', idempotencyKey: true }).retry).toBe(true);
    expect(classifyError(netError('ECONNRESET'), { method: 'PATCH', retryUnsafe: true }).retry).toBe(true);
    expect(classifyError(netError('ECONNRESET'), { method: 'PUT' }).retry).toBe(true);
    // Breakers count network failures whatever the method.
    expect(classifyError(netError('ECONNRESET'), post).breakerFailure).toBe(true);
  });

  it('never retries a marked error, nor a cooperative timeout wrapping one', () => {
    const error = netError('ECONNRESET');
    expect(markNotRetryable(error)).toBe(error);
    expect(handle.retry(error)).toBe(false);
    expect(handle.breaker(error)).toBe(true);
    expect(handle.retry(new TimeoutError(10, { cause: error }))).toBe(false);
    const status = markNotRetryable(http(503));
    expect(handle.retry(status)).toBe(false);
    expect(markNotRetryable('primitive')).toBe('primitive');
  });

  it('markIfUnsafeToRetry marks only what is unsafe to repeat', () => {
    const reset = markIfUnsafeToRetry(netError('ECONNRESET'), { method: 'POST' });
    expect(handle.retry(reset)).toBe(false);
    const refused = markIfUnsafeToRetry(netError('ECONNREFUSED'), { method: 'POST' });
    expect(handle.retry(refused)).toBe(true);
    const getReset = markIfUnsafeToRetry(netError('ECONNRESET'), { method: 'GET' });
    expect(handle.retry(getReset)).toBe(true);
  });
});
