// When a non-idempotent request may be sent again: a 503 counts as not processed only with a usable Retry-After or
// retry-after-ms (digits only); a classifier's own idempotent methods reach resilientFetch; and what a refused
// resend, a throwing fetch and a bad option say.
import { constant, InvalidOptionError, retry } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { classify, createClassifier, resilientFetch } from '../src/index.js';

describe('classify: a 503 to a POST is retried only with a usable delay header', () => {
  it('retry-after-ms of digits (spaces around allowed), or a valid Retry-After', () => {
    const post = (headers: Record<string, string>) => classify(503, { method: 'POST', headers }).retry;
    expect(post({ 'retry-after-ms': '120' })).toBe(true);
    expect(post({ 'retry-after-ms': ' 120 ' })).toBe(true);
    expect(post({ 'retry-after': '5' })).toBe(true);
    for (const ms of ['12a', 'a12', '', '1.5', '-3']) expect(post({ 'retry-after-ms': ms })).toBe(false);
    expect(post({})).toBe(false);
  });

  it('an invalid status is a RangeError saying what a status is', () => {
    expect(() => classify(1000)).toThrow(
      new RangeError('Invalid HTTP status 1000: expected an integer 100..999 (or 0)'),
    );
  });
});

/** A fetch answering each status in turn (then 200), counting the requests. */
function scripted(...statuses: number[]) {
  const sent: string[] = [];
  const fetch = async (_input: unknown, init?: RequestInit) => {
    sent.push(init?.method ?? 'GET');
    return new Response('', { status: statuses[sent.length - 1] ?? 200 });
  };
  return { fetch, sent };
}

describe('resilientFetch: which requests it sends again', () => {
  it("takes the classifier's idempotent methods: a POST declared idempotent is retried", async () => {
    const { fetch, sent } = scripted(503);
    const classifier = createClassifier({ idempotentMethods: ['POST'] });
    const response = await resilientFetch(retry({ backoff: constant(0) }), { fetch, classify: classifier })(
      'http://example.invalid/',
      { method: 'POST', body: 'x' },
    );
    expect(response.status).toBe(200);
    expect(sent).toEqual(['POST', 'POST']);
  });

  it('refuses to resend a POST a catch-all retry asks for again, saying why', async () => {
    let sends = 0;
    const fetch = async () => {
      sends++;
      throw new Error('socket hang up');
    };
    const policy = retry({ backoff: constant(0), handle: () => true });
    const failure = await resilientFetch(policy, { fetch })('http://example.invalid/orders?id=1', {
      method: 'POST',
      body: 'x',
    }).catch((error: unknown) => error);
    expect(sends).toBe(1);
    expect((failure as Error).message).toBe('socket hang up');
  });

  it('does not send a POST answered 500 again for a catch-all retry: the answer comes back untouched', async () => {
    const { fetch, sent } = scripted(500, 500);
    const policy = retry({ backoff: constant(0), handle: () => true, maxAttempts: 2 });
    const response = await resilientFetch(policy, { fetch })('http://example.invalid/orders', {
      method: 'POST',
      body: 'x',
    });
    expect(response.status).toBe(500);
    expect(sent).toEqual(['POST']);
  });

  it('rejects with what a fetch throws synchronously', async () => {
    const thrown = new TypeError('bad request init');
    const fetch = (() => {
      throw thrown;
    }) as unknown as typeof globalThis.fetch;
    await expect(
      resilientFetch(retry({ maxAttempts: 1 }), { fetch })('http://example.invalid/'),
    ).rejects.toBe(thrown);
  });

  it('does not take headers it cannot read as an idempotency key', async () => {
    const { fetch, sent } = scripted(503);
    // A 503 to a POST without a key is not retried: it comes back as the answer.
    const response = await resilientFetch(retry({ backoff: constant(0) }), { fetch })(
      'http://example.invalid/',
      {
        method: 'POST',
        body: 'x',
        headers: [['bad name', 'k']],
      },
    );
    expect(response.status).toBe(503);
    expect(sent).toEqual(['POST']);
  });
});

describe('resilientFetch: bad options name themselves', () => {
  it('idempotencyKeyHeader must be a header name', () => {
    try {
      resilientFetch(retry(), { idempotencyKeyHeader: 'bad name' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe('idempotencyKeyHeader');
      expect((error as Error).message).toContain('expected a header name, got "bad name"');
    }
  });

  it('without a fetch option and no global fetch, names fetch', () => {
    const saved = globalThis.fetch;
    try {
      (globalThis as { fetch?: unknown }).fetch = undefined;
      expect(() => resilientFetch(retry())).toThrow(/expected a function \(there is no global fetch\)/);
      try {
        resilientFetch(retry());
      } catch (error) {
        expect((error as InvalidOptionError).option).toBe('fetch');
      }
    } finally {
      globalThis.fetch = saved;
    }
  });

  it('pauseLimiter must have pause()', () => {
    try {
      resilientFetch(retry(), { pauseLimiter: {} as never });
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidOptionError).option).toBe('pauseLimiter');
      expect((error as Error).message).toContain('a rate limiter');
    }
  });
});
