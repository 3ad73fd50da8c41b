// One resilientFetch call across its attempts, on a real loopback server: when it refuses to send a request again
// and what it says, which idempotent methods make a request safe, what an aborted attempt leaves behind (no
// listener on the signal, no unread body), which answers reach onThrottle and pauseLimiter with what hint, and
// how the answers a policy did not return are released.
import { getEventListeners } from 'node:events';
import {
  circuitBreaker,
  consecutive,
  constant,
  definePolicy,
  fallback,
  hedge,
  InvalidOptionError,
  pipeline,
  retry,
  TimeoutError,
  timeout,
} from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { createClassifier, handle, type FetchLike, isHttpStatusError, resilientFetch } from '../src/index.js';
import { failureOf, stalledBody } from './support/bodies.js';
import { imfFixdate } from './support/dates.js';
import { closedPort, hang, reply, resetConnection, serverPerTest, until } from './support/server.js';

const env = serverPerTest();

/** A retry that retries everything (a catch-all `handle`), 0 ms apart. */
const catchAll = (maxAttempts = 2) => retry({ backoff: constant(0), handle: () => true, maxAttempts });

/** The global fetch, keeping every Response it gave. */
function recordingFetch() {
  const responses: Response[] = [];
  const fetch: FetchLike = async (input, init) => {
    const response = await globalThis.fetch(input, init);
    responses.push(response);
    return response;
  };
  return { fetch, responses };
}

describe('a refused resend says why', () => {
  const failingClassifier = () => {
    throw new Error('no rule for this status');
  };

  it('a POST whose outcome is unknown: "it is not idempotent and may have been processed"', async () => {
    env.server.script(reply(200));
    const url = `${env.server.url}/orders`;
    const failure = await failureOf(
      resilientFetch(catchAll(), { classify: failingClassifier as never })(url, {
        method: 'POST',
        body: 'x',
      }),
    );
    expect((failure as Error).message).toBe(
      `resilientFetch: not sending POST ${url} again: it is not idempotent and may have been processed`,
    );
    expect(env.server.seen).toHaveLength(1);
  });

  it('a streamed body, even of a PUT: "its body is a one-shot stream"', async () => {
    env.server.script(reply(200));
    const url = `${env.server.url}/upload`;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('once'));
        controller.close();
      },
    });
    const failure = await failureOf(
      resilientFetch(catchAll(), { classify: failingClassifier as never })(url, {
        method: 'PUT',
        body,
        duplex: 'half',
      } as RequestInit),
    );
    expect((failure as Error).message).toBe(
      `resilientFetch: not sending PUT ${url} again: its body is a one-shot stream`,
    );
    expect(env.server.seen.map((seen) => seen.body)).toEqual(['once']);
  });
});

describe("the classifier's idempotent methods decide what a reset connection may repeat", () => {
  it('a POST its classifier calls idempotent is sent again after a reset', async () => {
    env.server.script(resetConnection, reply(200, {}, 'ok'));
    const classify = createClassifier({ idempotentMethods: ['POST'] });
    const response = await resilientFetch(catchAll(), { classify })(`${env.server.url}/`, {
      method: 'POST',
      body: 'x',
    });
    expect(response.status).toBe(200);
    expect(env.server.seen.map((seen) => seen.body)).toEqual(['x', 'x']);
  });

  it('a PUT its classifier leaves out is not', async () => {
    env.server.script(resetConnection, reply(200, {}, 'ok'));
    const classify = createClassifier({ idempotentMethods: ['GET'] });
    const failure = await failureOf(
      resilientFetch(catchAll(), { classify })(`${env.server.url}/`, { method: 'PUT', body: 'x' }),
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect(env.server.seen).toHaveLength(1);
  });
});

describe('a POST never has two sends in flight', () => {
  it('after a refused connection, a hedge waits for the resend in flight instead of sending a third', async () => {
    env.server.script(hang);
    const refused = `http://127.0.0.1:${await closedPort()}/`;
    let calls = 0;
    // The first send goes to a closed port (refused: nothing sent), the next ones to the hanging server.
    const fetch: FetchLike = (input, init) => globalThis.fetch(calls++ === 0 ? refused : input, init);
    const policy = hedge({ clock: env.clock, delay: 100, maxHedges: 2 });
    const controller = new AbortController();
    const call = failureOf(
      resilientFetch(policy, { fetch })(`${env.server.url}/orders`, {
        method: 'POST',
        body: 'x',
        signal: controller.signal,
      }),
    );
    await until(() => env.server.seen.length === 1, 'the resend after the refusal');
    await env.clock.advance(100);
    await env.clock.advance(100);
    controller.abort(new Error('done'));
    await call;
    expect(calls).toBe(2);
    expect(env.server.seen).toHaveLength(1);
  });
});

describe('an attempt timed out while a POST is in flight', () => {
  it('is not retried, not even once, by a retry that would retry the timeout', async () => {
    env.server.script(hang);
    const outer = retry({ clock: env.clock, handle: handle.retry, maxAttempts: 3, backoff: constant(50) });
    let retries = 0;
    outer.on('retry', () => retries++);
    const policy = pipeline(outer, timeout(1000, { clock: env.clock, resolution: 0 }));
    const failure = failureOf(
      resilientFetch(policy)(`${env.server.url}/slow`, { method: 'POST', body: 'x' }),
    );
    await until(() => env.server.seen.length === 1, 'the request');
    await env.clock.advance(1000);
    expect(await failure).toBeInstanceOf(TimeoutError);
    expect(retries).toBe(0);
    expect(env.server.seen).toHaveLength(1);
  });

  it('a cooperative timeout ends the attempt even when the fetch in use never answers and ignores its signal', async () => {
    const deaf: FetchLike = () => new Promise<Response>(() => undefined);
    const policy = timeout(1000, { clock: env.clock, resolution: 0, strategy: 'cooperative' });
    const failure = failureOf(resilientFetch(policy, { fetch: deaf })('http://example.invalid/'));
    await env.clock.advance(1000);
    expect(await failure).toBeInstanceOf(TimeoutError);
  });
});

describe('what an attempt leaves on the signal: nothing', () => {
  const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;
  /** The global fetch without the signal (undici keeps its own listener until a body is read): ours are counted. */
  const unsignalled: FetchLike = (input, init) => globalThis.fetch(input, { ...init, signal: null });

  it('after an answer, a failed answer drained, a network error and a fetch that throws', async () => {
    const controller = new AbortController();
    const before = listeners(controller.signal);
    const once = resilientFetch(retry({ maxAttempts: 1 }), { fetch: unsignalled });
    env.server.script(reply(200, {}, 'ok'));
    expect((await once(`${env.server.url}/`, { signal: controller.signal })).status).toBe(200);
    expect(listeners(controller.signal)).toBe(before);
    env.server.script(reply(503, {}, 'busy'));
    expect(
      isHttpStatusError(await failureOf(once(`${env.server.url}/`, { signal: controller.signal }))),
    ).toBe(true);
    expect(listeners(controller.signal)).toBe(before);
    env.server.script(resetConnection);
    expect(await failureOf(once(`${env.server.url}/`, { signal: controller.signal }))).toBeInstanceOf(
      TypeError,
    );
    expect(listeners(controller.signal)).toBe(before);
    const throwing: FetchLike = () => {
      throw new TypeError('bad init');
    };
    const sync = resilientFetch(retry({ maxAttempts: 1 }), { fetch: throwing });
    expect(await failureOf(sync('http://example.invalid/', { signal: controller.signal }))).toBeInstanceOf(
      TypeError,
    );
    expect(listeners(controller.signal)).toBe(before);
  });

  it('a body drained while the signal stays live leaves no listener either', async () => {
    const controller = new AbortController();
    env.server.script(reply(429, { 'retry-after': '0' }, 'x'.repeat(100_000)));
    const failure = await failureOf(
      resilientFetch(retry({ maxAttempts: 1 }), { fetch: unsignalled })(`${env.server.url}/`, {
        signal: controller.signal,
      }),
    );
    expect((failure as { body?: string }).body).toHaveLength(1024);
    expect(listeners(controller.signal)).toBe(0);
  });
});

describe('bodyExcerptChars: 0', () => {
  it('keeps no excerpt, not even an empty one', async () => {
    env.server.script(reply(503, {}, 'busy'));
    const fetch = resilientFetch(retry({ maxAttempts: 1 }), { bodyExcerptChars: 0 });
    const failure = await failureOf(fetch(`${env.server.url}/`));
    expect(isHttpStatusError(failure)).toBe(true);
    expect((failure as { body?: unknown }).body).toBeUndefined();
  });
});

describe('a late answer, after the attempt was aborted', () => {
  it('is released unread: its body is cancelled', async () => {
    let answer!: (response: Response) => void;
    const late: FetchLike = () => new Promise<Response>((resolve) => (answer = resolve));
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      cancel() {
        cancelled = true;
      },
    });
    const controller = new AbortController();
    const call = failureOf(
      resilientFetch(retry({ maxAttempts: 1 }), { fetch: late })('http://example.invalid/', {
        signal: controller.signal,
      }),
    );
    const reason = new Error('gave up');
    controller.abort(reason);
    expect(await call).toBe(reason);
    answer(new Response(body));
    await until(() => cancelled, 'the late body cancelled');
    expect(cancelled).toBe(true);
  });
});

describe('a retryable answer to a request that cannot be repeated', () => {
  it('comes back as the answer, and still counts against a breaker', async () => {
    env.server.script(reply(503, {}, 'busy'));
    const breaker = circuitBreaker({ clock: env.clock, strategy: consecutive(1), handle: handle.breaker });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('once'));
        controller.close();
      },
    });
    const response = await resilientFetch(breaker)(`${env.server.url}/`, {
      method: 'PUT',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('busy');
    expect(breaker.state).toBe('open');
  });
});

describe('onThrottle and pauseLimiter', () => {
  /** A handler answering without a Date header, so hints are measured against the configured clock. */
  const undated =
    (status: number, headers: Record<string, string>) =>
    (_req: unknown, res: import('node:http').ServerResponse) => {
      res.sendDate = false;
      res.writeHead(status, headers).end();
    };

  it('hear of 429s only, with the hint measured against the clock option when the answer has no Date', async () => {
    await env.clock.advance(1_000_000);
    const due = imfFixdate(new Date(env.clock.now() + 7000));
    const hints: number[] = [];
    const paused: number[] = [];
    const fetch = resilientFetch(retry({ maxAttempts: 1 }), {
      clock: env.clock,
      onThrottle: (ms) => hints.push(ms),
      pauseLimiter: { pause: (ms) => paused.push(ms) },
    });
    env.server.script(undated(503, { 'retry-after': due }));
    await failureOf(fetch(`${env.server.url}/`));
    expect(hints).toEqual([]);
    env.server.script(undated(429, { 'retry-after': due }));
    await failureOf(fetch(`${env.server.url}/`));
    expect(hints).toEqual([7000]);
    expect(paused).toEqual([7000]);
  });

  it('hear nothing of a 429 without a hint', async () => {
    let calls = 0;
    const fetch = resilientFetch(retry({ maxAttempts: 1 }), {
      onThrottle: () => calls++,
      pauseLimiter: { pause: () => calls++ },
    });
    env.server.script(reply(429, {}, 'slow down'));
    const failure = await failureOf(fetch(`${env.server.url}/`));
    expect((failure as { status?: number }).status).toBe(429);
    expect(calls).toBe(0);
  });

  it('an onThrottle that aborts the call: it rejects with the reason and the body is cancelled unread', async () => {
    const controller = new AbortController();
    const reason = new Error('not waiting that long');
    const seen = { pulls: 0, cancelled: false };
    const body = new ReadableStream<Uint8Array>({
      pull(stream) {
        seen.pulls++;
        stream.enqueue(new TextEncoder().encode('slow down'));
      },
      cancel() {
        seen.cancelled = true;
      },
    });
    const throttled: FetchLike = async () =>
      new Response(body, { status: 429, headers: { 'retry-after': '60' } });
    const failure = await failureOf(
      resilientFetch(retry({ maxAttempts: 2 }), {
        fetch: throttled,
        onThrottle: () => controller.abort(reason),
      })('http://example.invalid/', { signal: controller.signal }),
    );
    expect(failure).toBe(reason);
    expect(seen.cancelled).toBe(true);
  });
});

describe('a cooperative timeout while a failed body drains', () => {
  it('ends the attempt with a TimeoutError caused by the timeout, not by the answer', async () => {
    const body = stalledBody();
    const fetch: FetchLike = async () => new Response(body.stream, { status: 503 });
    const policy = timeout(1000, { clock: env.clock, resolution: 0, strategy: 'cooperative' });
    const failure = failureOf(resilientFetch(policy, { fetch })('http://example.invalid/'));
    await until(() => body.pulls() > 0, 'the drain started');
    await env.clock.advance(1000);
    const error = (await failure) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.cause).toBeInstanceOf(TimeoutError);
  });
});

describe('answers the policy did not return are released', () => {
  it('a POST 500 replaced by a fallback answer: its body is cancelled, the fallback answer is intact', async () => {
    env.server.script(reply(500, {}, 'x'.repeat(10_000)));
    const { fetch, responses } = recordingFetch();
    const policy = fallback<Response>({ fallback: () => new Response('cached'), handle: handle.breaker });
    const response = await resilientFetch(policy, { fetch })(`${env.server.url}/`, {
      method: 'POST',
      body: 'x',
    });
    expect(await response.text()).toBe('cached');
    expect(responses).toHaveLength(1);
    expect(responses[0]!.bodyUsed).toBe(true);
  });

  it('a POST 500 the policy fails with another error: its body is cancelled', async () => {
    env.server.script(reply(500, {}, 'x'.repeat(10_000)));
    const { fetch, responses } = recordingFetch();
    const other = new Error('fallback failed too');
    const policy = fallback<Response>({
      fallback: () => {
        throw other;
      },
      handle: handle.breaker,
    });
    const failure = await failureOf(
      resilientFetch(policy, { fetch })(`${env.server.url}/`, { method: 'POST', body: 'x' }),
    );
    expect(failure).toBe(other);
    expect(responses[0]!.bodyUsed).toBe(true);
  });

  it('the POST 500 the policy fails with comes back untouched', async () => {
    env.server.script(reply(500, {}, 'boom'));
    const { fetch, responses } = recordingFetch();
    const response = await resilientFetch(catchAll(), { fetch })(`${env.server.url}/`, {
      method: 'POST',
      body: 'x',
    });
    expect(response).toBe(responses[0]);
    expect(await response.text()).toBe('boom');
  });
});

describe('resilientFetch itself', () => {
  it('sends nothing for an attempt whose signal aborted before it started, whatever the policy', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled before the attempt');
    let sends = 0;
    const counting: FetchLike = async () => {
      sends++;
      return new Response('late');
    };
    // A hand-written layer that lets the attempt start after the caller's abort.
    const careless = definePolicy({
      name: 'careless',
      run: (context, next) => {
        controller.abort(reason);
        return next(context);
      },
    });
    const failure = await failureOf(
      resilientFetch(careless as never, { fetch: counting })('http://example.invalid/', {
        signal: controller.signal,
      }),
    );
    expect(failure).toBe(reason);
    expect(sends).toBe(0);
  });

  it('refuses something that is not a policy, saying what it expects', () => {
    const refusal = (() => {
      try {
        resilientFetch({} as never);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(InvalidOptionError);
    expect((refusal as Error).message).toContain('a Bulwark policy or pipeline');
  });

  it('rejects, never throws, when a request cannot even be read', async () => {
    const broken = new Error('unreadable init');
    const init = {
      get method(): string {
        throw broken;
      },
    };
    let result: Promise<Response> | undefined;
    expect(() => {
      result = resilientFetch(retry())('http://example.invalid/', init);
    }).not.toThrow();
    await expect(result).rejects.toBe(broken);
  });

  it('an input fetch cannot read (null) rejects as fetch rejects it', async () => {
    const direct = (await failureOf(globalThis.fetch(null as never))) as Error;
    const failure = (await failureOf(resilientFetch(retry({ maxAttempts: 1 }))(null as never))) as Error;
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure.message).toBe(direct.message);
  });
});
