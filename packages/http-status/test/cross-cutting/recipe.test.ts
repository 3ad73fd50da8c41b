import http from 'node:http';
import { circuitBreaker, consecutive, constant, pipeline, retry } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import {
  classify,
  HttpStatusError,
  handle,
  isHttpStatusError,
  markIfUnsafeToRetry,
  networkErrorCode,
} from '../../src/index.js';
import { reply, resetConnection, serverPerTest } from '../support/server.js';

/**
 * The documented recipe for clients other than fetch, with node:http standing in for axios/got: let every status
 * through, classify it, throw HttpStatusError for the ones the policy must see, and mark network errors that are
 * unsafe to repeat.
 */
interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function nodeRequest(url: string, method: string, signal: AbortSignal, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, signal }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const env = serverPerTest();

function client() {
  const retries = retry({ clock: env.clock, handle: handle.retry, backoff: constant(100) });
  const breaker = circuitBreaker({ clock: env.clock, handle: handle.breaker, strategy: consecutive(3) });
  const policy = pipeline(retries, breaker);
  const request = (path: string, method = 'GET', body?: string) =>
    policy.execute(async ({ signal }) => {
      let answer: Answer;
      try {
        answer = await nodeRequest(`${env.server.url}${path}`, method, signal, body);
      } catch (error) {
        throw markIfUnsafeToRetry(error, { method });
      }
      const decision = classify(answer.status, { method, headers: answer.headers });
      if (decision.retry || decision.breakerFailure) {
        throw new HttpStatusError({ ...answer, method, url: `${env.server.url}${path}`, decision });
      }
      return answer;
    });
  return { request, retries, breaker };
}

describe('recipe: wiring another HTTP client with the predicates', () => {
  it('honours Retry-After from node:http headers and recovers', async () => {
    env.server.script(reply(503, { 'Retry-After': '4' }, 'later'), reply(200, {}, 'ok'));
    const { request, retries } = client();
    const waiting = new Promise<number>((resolve) => retries.on('retry', (e) => resolve(e.delay)));
    const answer = request('/');
    expect(await waiting).toBe(4000);
    await env.clock.advance(4000);
    expect((await answer).body).toBe('ok');
    expect(env.server.seen.map((s) => s.at)).toEqual([0, 4000]);
  });

  it('does not repeat a POST after a socket hang up, but counts it against the breaker', async () => {
    env.server.script(resetConnection);
    const { request, breaker } = client();
    const failures: unknown[] = [];
    breaker.on('failure', (e) => failures.push(e.error));
    const error = await request('/pay', 'POST', 'x').catch((e: unknown) => e);
    expect(networkErrorCode(error)).toBe('ECONNRESET');
    expect(env.server.seen).toHaveLength(1);
    expect(failures).toEqual([error]);
  });

  it('returns a client error (and a 501) as an answer, and fails a 505 at once with an HttpStatusError', async () => {
    env.server.script(reply(400, { 'content-type': 'application/json' }, '{"error":"bad field"}'));
    const { request } = client();
    expect(await request('/')).toMatchObject({ status: 400, body: '{"error":"bad field"}' });
    // 501 Not Implemented is about the request, like a 4xx: not retried, not a breaker failure (see classify).
    env.server.script(reply(501, {}, 'nope'));
    expect(await request('/')).toMatchObject({ status: 501, body: 'nope' });
    env.server.script(reply(505, {}, 'nope'));
    const failure = await request('/').catch((e: unknown) => e);
    expect(isHttpStatusError(failure)).toBe(true);
    expect(failure).toMatchObject({ status: 505, body: 'nope' });
    expect(env.server.seen).toHaveLength(3);
  });
});
