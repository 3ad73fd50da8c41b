/**
 * 501 Not Implemented, the status http-status and the Gemini adapter used to disagree on: an answer about the
 * request (a method or feature the server does not have), so it is returned like a 4xx, never retried, and never
 * held against the dependency's health, while a 505 (also "permanent") still counts against a breaker.
 */
import { circuitBreaker, consecutive, pipeline, retry } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { classify, handle, HttpStatusError, resilientFetch } from '../../src/index.js';
import { reply, serverPerTest } from '../support/server.js';

const env = serverPerTest({ noTimersLeft: false });

function fetchWithBreaker() {
  const breaker = circuitBreaker({ clock: env.clock, handle: handle.breaker, strategy: consecutive(2) });
  const policy = pipeline(retry({ clock: env.clock, handle: handle.retry, maxAttempts: 3 }), breaker);
  return { breaker, fetch: resilientFetch(policy) };
}

describe('501 Not Implemented', () => {
  it('is classified permanent: not retryable, not a breaker failure, for every method', () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      expect(classify(501, { method })).toEqual({
        status: 501,
        kind: 'permanent',
        retryable: false,
        retry: false,
        breakerFailure: false,
      });
    }
    expect(handle.breaker(new HttpStatusError({ status: 501 }))).toBe(false);
    expect(handle.breaker(new HttpStatusError({ status: 505 }))).toBe(true);
  });

  it('reaches the caller untouched, sent once, and never opens the circuit', async () => {
    env.server.script(reply(501, {}, 'no such method'));
    const { breaker, fetch } = fetchWithBreaker();
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${env.server.url}/`, { method: 'PATCH', body: 'x' });
      expect(response.status).toBe(501);
      expect(await response.text()).toBe('no such method');
    }
    expect(env.server.seen).toHaveLength(3);
    expect(breaker.state).toBe('closed');
  });

  it('unlike a 505, which counts against the breaker', async () => {
    env.server.script(reply(505, {}, 'version'));
    const { breaker, fetch } = fetchWithBreaker();
    for (let i = 0; i < 2; i++) expect((await fetch(`${env.server.url}/`)).status).toBe(505);
    expect(breaker.state).toBe('open');
    expect(env.server.seen).toHaveLength(2);
  });
});
