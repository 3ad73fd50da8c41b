import {
  type AnyPolicy,
  circuitBreaker,
  consecutive,
  constant,
  hedge,
  InvalidOptionError,
  type PolicyEvents,
  pipeline,
  type RetryEvent,
  retry,
  TimeoutError,
  timeout,
} from '@bulwark/core';
import { describe, expect, it, vi } from 'vitest';
import {
  type HttpStatusError,
  handle,
  isHttpStatusError,
  networkErrorCode,
  resilientFetch,
} from '../src/index.js';
import { imfFixdate } from './support/dates.js';
import { hang, reply, resetConnection, until, serverPerTest, startServer } from './support/server.js';

const env = serverPerTest();

/** Resolves with the next payload of `event` emitted by `policy`. */
function next<K extends keyof PolicyEvents>(policy: AnyPolicy, event: K): Promise<PolicyEvents[K][0]> {
  return new Promise((resolve) => {
    const off = policy.on(event, ((payload: PolicyEvents[K][0]) => {
      off();
      resolve(payload);
    }) as never);
  });
}

/** A retry on the virtual clock that retries what this package says is retryable. */
const httpRetry = (options: { maxAttempts?: number; backoff?: number } = {}) =>
  retry({
    clock: env.clock,
    handle: handle.retry,
    maxAttempts: options.maxAttempts ?? 3,
    backoff: constant(options.backoff ?? 100),
  });

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** Fires due timers until `promise` settles: for retries that wait 0 ms between real requests. */
async function drive<T>(promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 1000 && !settled; i++) {
    await env.clock.advance(0);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return promise;
}

describe('resilientFetch: recovering', () => {
  it('503 + Retry-After (seconds): waits exactly the hint, then succeeds on the same connection', async () => {
    env.server.script(reply(503, { 'retry-after': '2' }, 'busy'), reply(200, {}, 'ok'));
    const policy = httpRetry();
    const fetch = resilientFetch(policy);
    const response = fetch(`${env.server.url}/items`);

    const waiting = await next(policy, 'retry');
    expect(waiting).toMatchObject({ attempt: 1, delay: 2000, delaySource: 'hint' });
    const error = waiting.error as HttpStatusError;
    expect(isHttpStatusError(error)).toBe(true);
    expect(error).toMatchObject({ status: 503, method: 'GET', url: `${env.server.url}/items`, body: 'busy' });

    await env.clock.advance(1999);
    expect(env.server.seen).toHaveLength(1);
    await env.clock.advance(1);
    const res = await response;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(env.server.seen.map((s) => s.at)).toEqual([0, 2000]);
    // The 503's body was drained, so its keep-alive connection carried the retry.
    expect(env.server.seen[1]!.connection).toBe(env.server.seen[0]!.connection);
  });

  it('503 + Retry-After (HTTP date): measured against the response Date header', async () => {
    const serverNow = Math.floor(Date.now() / 1000) * 1000;
    env.server.script(
      reply(503, {
        date: imfFixdate(new Date(serverNow)),
        'retry-after': imfFixdate(new Date(serverNow + 3000)),
      }),
      reply(200, {}, 'ok'),
    );
    const policy = httpRetry();
    const response = resilientFetch(policy)(`${env.server.url}/`);
    expect(await next(policy, 'retry')).toMatchObject({ delay: 3000, delaySource: 'hint' });
    await env.clock.advance(3000);
    expect((await response).status).toBe(200);
    expect(env.server.seen.map((s) => s.at)).toEqual([0, 3000]);
  });

  it('429 + RateLimit headers: retries a POST after the reset and pauses the limiter for everyone', async () => {
    env.server.script(
      reply(429, { ratelimit: '"default";r=0;t=5', 'ratelimit-policy': '"default";q=10;w=60' }),
      reply(201, {}, 'created'),
    );
    const paused: number[] = [];
    const onThrottle = vi.fn();
    const policy = httpRetry();
    const fetch = resilientFetch(policy, { pauseLimiter: { pause: (ms) => paused.push(ms) }, onThrottle });
    const response = fetch(`${env.server.url}/orders`, { method: 'POST', body: '{"n":1}' });

    expect(await next(policy, 'retry')).toMatchObject({ delay: 5000, delaySource: 'hint' });
    expect(paused).toEqual([5000]);
    expect(onThrottle).toHaveBeenCalledTimes(1);
    expect(onThrottle.mock.calls[0]![0]).toBe(5000);
    expect((onThrottle.mock.calls[0]![1] as Response).status).toBe(429);

    await env.clock.advance(5000);
    expect((await response).status).toBe(201);
    // 429 proves the POST was not processed: resending it (with its body) is safe.
    expect(env.server.seen.map((s) => [s.method, s.body, s.at])).toEqual([
      ['POST', '{"n":1}', 0],
      ['POST', '{"n":1}', 5000],
    ]);
  });

  it('500 then 200: retries after the backoff delay', async () => {
    env.server.script(reply(500, {}, 'boom'), reply(200, {}, 'ok'));
    const policy = httpRetry({ backoff: 250 });
    const response = resilientFetch(policy)(`${env.server.url}/`);
    expect(await next(policy, 'retry')).toMatchObject({ delay: 250, delaySource: 'backoff' });
    await env.clock.advance(250);
    expect(await (await response).text()).toBe('ok');
    expect(env.server.seen.map((s) => s.at)).toEqual([0, 250]);
  });

  it('a reset connection: a GET is retried and recovers', async () => {
    env.server.script(resetConnection, reply(200, {}, 'ok'));
    const policy = httpRetry();
    const response = resilientFetch(policy)(`${env.server.url}/`);
    const waiting = await next(policy, 'retry');
    expect(networkErrorCode(waiting.error)).toBe('ECONNRESET');
    await env.clock.advance(100);
    expect((await response).status).toBe(200);
    expect(env.server.seen.map((s) => s.at)).toEqual([0, 100]);
  });

  it('a POST with an idempotency key is retried after a reset, key and body intact', async () => {
    env.server.script(resetConnection, reply(200, {}, 'ok'));
    const policy = httpRetry();
    const response = resilientFetch(policy)(`${env.server.url}/pay`, {
      method: 'POST',
      headers: { 'Idempotency-Key': 'k-1' },
      body: new URLSearchParams({ amount: '5' }),
    });
    await next(policy, 'retry');
    await env.clock.advance(100);
    expect((await response).status).toBe(200);
    expect(env.server.seen.map((s) => [s.headers['idempotency-key'], s.body])).toEqual([
      ['k-1', 'amount=5'],
      ['k-1', 'amount=5'],
    ]);
  });

  it('a Request object with an idempotent method is retried', async () => {
    env.server.script(reply(502), reply(200, {}, 'ok'));
    const policy = httpRetry();
    const response = resilientFetch(policy)(new Request(`${env.server.url}/x`, { method: 'DELETE' }));
    await next(policy, 'retry');
    await env.clock.advance(100);
    expect((await response).status).toBe(200);
    expect(env.server.seen.map((s) => s.method)).toEqual(['DELETE', 'DELETE']);
  });
});

describe('resilientFetch: failing with the right error', () => {
  it('gives up on a retryable answer with an HttpStatusError carrying a bounded body excerpt', async () => {
    env.server.script(reply(503, { 'content-type': 'text/plain' }, 'x'.repeat(5000)));
    const policy = httpRetry({ maxAttempts: 2 });
    const response = resilientFetch(policy, { bodyExcerptChars: 100 })(`${env.server.url}/`);
    const failure = failureOf(response);
    await next(policy, 'retry');
    await env.clock.advance(100);
    const error = (await failure) as HttpStatusError;
    expect(isHttpStatusError(error)).toBe(true);
    expect(error.status).toBe(503);
    expect(error.body).toBe('x'.repeat(100));
    expect(error.headers.get('content-type')).toBe('text/plain');
    expect(env.server.seen).toHaveLength(2);
  });

  it('a reset POST without a key fails with the network error after exactly one request', async () => {
    env.server.script(resetConnection, reply(200));
    const response = resilientFetch(httpRetry())(`${env.server.url}/pay`, { method: 'POST', body: 'x' });
    const failure = failureOf(response);
    const error = await failure;
    expect(networkErrorCode(error)).toBe('ECONNRESET');
    expect(env.server.seen).toHaveLength(1);
  });

  it('never sends an unsafe request twice, even under a retry that retries everything', async () => {
    env.server.script(resetConnection, reply(200));
    const catchAll = retry({ clock: env.clock, maxAttempts: 3, backoff: constant(10) });
    const failures: unknown[] = [];
    catchAll.on('retry', (e) => failures.push(e.error));
    const response = resilientFetch(catchAll)(`${env.server.url}/pay`, { method: 'PATCH', body: 'x' });
    const failure = failureOf(response);
    await next(catchAll, 'retry');
    await env.clock.runAll();
    const error = await failure;
    expect(networkErrorCode(error)).toBe('ECONNRESET');
    // Every retry got the first error back instead of a second send.
    expect(failures).toEqual([error, error]);
    expect(env.server.seen).toHaveLength(1);
  });

  it('a refused connection is retried even for a POST (nothing was sent), then fails with it', async () => {
    const port = new URL(env.server.url).port;
    await env.server.close();
    const calls: string[] = [];
    const policy = httpRetry({ maxAttempts: 3, backoff: 10 });
    const response = resilientFetch(policy, {
      fetch: (input, init) => {
        calls.push(String(init?.method));
        return fetch(input, init);
      },
    })(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' });
    const failure = failureOf(response);
    await next(policy, 'retry');
    const second = next(policy, 'retry');
    await env.clock.advance(10);
    await second;
    await env.clock.advance(10);
    const error = await failure;
    expect(networkErrorCode(error)).toBe('ECONNREFUSED');
    expect(calls).toEqual(['POST', 'POST', 'POST']);
    env.server = await startServer(() => env.clock.now());
  });

  it('a hanging server: each attempt times out, then the call fails with TimeoutError', async () => {
    env.server.script(hang);
    const policy = pipeline(
      retry({ clock: env.clock, handle: handle.retry, maxAttempts: 2, backoff: constant(10) }),
      timeout(1000, { clock: env.clock, resolution: 0 }),
    );
    const response = resilientFetch(policy)(`${env.server.url}/slow`);
    const failure = failureOf(response);
    await until(() => env.server.seen.length === 1, 'first request');
    await env.clock.advance(1000);
    await until(() => env.server.seen.length === 1 && env.clock.pendingTimers > 0, 'retry wait');
    await env.clock.advance(10);
    await until(() => env.server.seen.length === 2, 'second request');
    await env.clock.advance(1000);
    expect(await failure).toBeInstanceOf(TimeoutError);
    expect(env.server.seen.map((s) => s.at)).toEqual([0, 1010]);
    // Each timed-out attempt aborted its request: the server saw both connections go away.
    await until(() => env.server.seen.every((s) => s.closedEarly), 'aborted requests closed');
  });

  it('a hanging POST times out once and is not retried', async () => {
    env.server.script(hang);
    const policy = pipeline(httpRetry(), timeout(1000, { clock: env.clock, resolution: 0 }));
    const response = resilientFetch(policy)(`${env.server.url}/slow`, { method: 'POST', body: 'x' });
    const failure = failureOf(response);
    await until(() => env.server.seen.length === 1, 'first request');
    await env.clock.advance(1000);
    expect(await failure).toBeInstanceOf(TimeoutError);
    expect(env.server.seen).toHaveLength(1);
  });

  it('a hanging POST under a cooperative timeout is not retried either', async () => {
    env.server.script(hang);
    const policy = httpRetry();
    const retries: RetryEvent[] = [];
    policy.on('retry', (e) => retries.push(e));
    const cooperative = pipeline(
      policy,
      timeout(1000, { clock: env.clock, resolution: 0, strategy: 'cooperative' }),
    );
    const response = resilientFetch(cooperative)(`${env.server.url}/slow`, { method: 'POST', body: 'x' });
    const failure = failureOf(response);
    await until(() => env.server.seen.length === 1, 'first request');
    await env.clock.advance(1000);
    expect(await failure).toBeInstanceOf(TimeoutError);
    expect(retries).toHaveLength(0);
    expect(env.server.seen).toHaveLength(1);
  });
});

describe('resilientFetch: final answers are returned untouched', () => {
  it('returns a 404 as is, without retrying', async () => {
    env.server.script(reply(404, { 'x-kind': 'missing' }, 'not here'));
    const response = await resilientFetch(httpRetry())(`${env.server.url}/`);
    expect(response.status).toBe(404);
    expect(response.headers.get('x-kind')).toBe('missing');
    expect(await response.text()).toBe('not here');
    expect(env.server.seen).toHaveLength(1);
  });

  it("a POST's 500 counts against the breaker but reaches the caller untouched", async () => {
    env.server.script(reply(500, {}, 'boom'));
    const breaker = circuitBreaker({ clock: env.clock, handle: handle.breaker, strategy: consecutive(2) });
    const policy = pipeline(httpRetry(), breaker);
    const fetch = resilientFetch(policy);
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${env.server.url}/`, { method: 'POST', body: String(i) });
      expect(response.status).toBe(500);
      expect(await response.text()).toBe('boom');
    }
    expect(breaker.state).toBe('open');
    expect(env.server.seen).toHaveLength(2);
  });

  it('429s do not count against the breaker; 503s do', async () => {
    env.server.script(reply(429, { 'retry-after': '0' }));
    const breaker = circuitBreaker({ clock: env.clock, handle: handle.breaker, strategy: consecutive(2) });
    const policy = pipeline(
      retry({ clock: env.clock, handle: handle.retry, maxAttempts: 4, backoff: constant(0) }),
      breaker,
    );
    const error = await failureOf(drive(resilientFetch(policy)(`${env.server.url}/`)));
    expect((error as HttpStatusError).status).toBe(429);
    expect(env.server.seen).toHaveLength(4);
    expect(breaker.state).toBe('closed');

    env.server.script(reply(503));
    await failureOf(drive(resilientFetch(policy)(`${env.server.url}/`)));
    expect(breaker.state).toBe('open');
  });

  it('a streamed body is never replayed: a retryable answer is returned as is', async () => {
    env.server.script(reply(503, {}, 'busy'), reply(200));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const response = await resilientFetch(httpRetry())(`${env.server.url}/upload`, {
      method: 'PUT',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('busy');
    expect(env.server.seen.map((s) => s.body)).toEqual(['streamed']);
  });

  it('a Request with a body is sent once', async () => {
    env.server.script(reply(503), reply(200));
    const request = new Request(`${env.server.url}/`, { method: 'PUT', body: 'once' });
    const response = await resilientFetch(httpRetry())(request);
    expect(response.status).toBe(503);
    expect(env.server.seen.map((s) => s.body)).toEqual(['once']);
  });

  it('a hedge never duplicates an unsafe request, but may duplicate a safe one', async () => {
    env.server.script(hang);
    const policy = hedge({ clock: env.clock, delay: 100 });
    const post = resilientFetch(policy)(`${env.server.url}/`, { method: 'POST', body: 'x' });
    await until(() => env.server.seen.length === 1, 'primary');
    const hedged = next(policy, 'hedge');
    await env.clock.advance(100);
    await hedged;
    env.server.script(() => undefined, reply(200, {}, 'ok'));
    const get = resilientFetch(policy)(`${env.server.url}/`);
    await until(() => env.server.seen.length === 2, 'GET primary');
    await env.clock.advance(100);
    expect((await get).status).toBe(200);
    expect(env.server.seen.map((s) => s.method)).toEqual(['POST', 'GET', 'GET']);
    env.server.script(reply(200));
    await env.server.close();
    await failureOf(post);
  });
});

describe('resilientFetch: the caller signal', () => {
  it('aborting during the retry wait rejects at once with the reason, leaving no timer', async () => {
    env.server.script(reply(503, { 'retry-after': '30' }), reply(200));
    const policy = httpRetry();
    const controller = new AbortController();
    const response = resilientFetch(policy)(`${env.server.url}/`, { signal: controller.signal });
    const failure = failureOf(response);
    await next(policy, 'retry');
    expect(env.clock.pendingTimers).toBe(1);
    const reason = new Error('user navigated away');
    controller.abort(reason);
    expect(await failure).toBe(reason);
    expect(env.clock.pendingTimers).toBe(0);
    expect(env.server.seen).toHaveLength(1);
  });

  it('aborting a hanging request rejects with the reason and closes the request', async () => {
    env.server.script(hang);
    const controller = new AbortController();
    const response = resilientFetch(pipeline(httpRetry(), timeout(60_000, { clock: env.clock })))(
      new Request(`${env.server.url}/`, { signal: controller.signal }),
    );
    const failure = failureOf(response);
    await until(() => env.server.seen.length === 1, 'request');
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await failure).toBe(reason);
    await until(() => env.server.seen[0]!.closedEarly, 'request closed');
    expect(env.server.seen).toHaveLength(1);
    // The timeout's shared deadline timer (unref'd) expires on its own; nothing else was left behind.
    await env.clock.runAll();
  });

  it('aborting while a failed body drains rejects at once, even with a fetch that ignores signals', async () => {
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        // One chunk, then silence: the body never ends by itself.
        if (pulls === 1) controller.enqueue(new TextEncoder().encode('partial'));
        return new Promise(() => undefined);
      },
    });
    const stubbornFetch = async () => new Response(endless, { status: 503 });
    const controller = new AbortController();
    const response = resilientFetch(httpRetry(), { fetch: stubbornFetch })('http://example.invalid/', {
      signal: controller.signal,
    });
    const failure = failureOf(response);
    await until(() => pulls > 0, 'drain started');
    const reason = new Error('enough');
    controller.abort(reason);
    expect(await failure).toBe(reason);
    expect(env.server.seen).toHaveLength(0);
  });

  it('aborting rejects at once even when the fetch in use never answers and ignores its signal', async () => {
    const deafFetch = () => new Promise<Response>(() => undefined);
    const controller = new AbortController();
    const failure = failureOf(
      resilientFetch(httpRetry(), { fetch: deafFetch })('http://example.invalid/', {
        signal: controller.signal,
      }),
    );
    const reason = new Error('bye');
    controller.abort(reason);
    expect(await failure).toBe(reason);
  });

  it('an already aborted signal sends nothing', async () => {
    const reason = new Error('too late');
    const response = resilientFetch(httpRetry())(`${env.server.url}/`, { signal: AbortSignal.abort(reason) });
    const failure = failureOf(response);
    expect(await failure).toBe(reason);
    expect(env.server.seen).toHaveLength(0);
  });
});

describe('resilientFetch: connection reuse and options', () => {
  it('a failed body over maxDrainBytes is cancelled instead of read (a new connection follows)', async () => {
    env.server.script(reply(503, {}, 'y'.repeat(200_000)), reply(200));
    const policy = httpRetry();
    const response = resilientFetch(policy, { maxDrainBytes: 1024 })(`${env.server.url}/`);
    const waiting = await next(policy, 'retry');
    expect((waiting.error as HttpStatusError).body).toHaveLength(1024);
    await env.clock.advance(100);
    expect((await response).status).toBe(200);
    expect(env.server.seen[1]!.connection).not.toBe(env.server.seen[0]!.connection);
  });

  it('a limiter whose pause() rejects (e.g. a failing shared store) does not leak the rejection', async () => {
    env.server.script(reply(429, { 'retry-after': '1' }), reply(200));
    const pauses: number[] = [];
    const limiter = {
      pause: (ms: number) => {
        pauses.push(ms);
        return Promise.reject(new Error('store down'));
      },
    };
    const policy = httpRetry();
    const response = resilientFetch(policy, { pauseLimiter: limiter })(`${env.server.url}/`);
    await next(policy, 'retry');
    await env.clock.advance(1000);
    expect((await response).status).toBe(200);
    expect(pauses).toEqual([1000]);
  });

  it('a throwing onThrottle fails the call with its error, not retried', async () => {
    env.server.script(reply(429, { 'retry-after': '1' }), reply(200));
    const bug = new Error('listener bug');
    const events: RetryEvent[] = [];
    const policy = httpRetry();
    policy.on('retry', (e) => events.push(e));
    const response = resilientFetch(policy, {
      onThrottle: () => {
        throw bug;
      },
    })(`${env.server.url}/`);
    const failure = failureOf(response);
    expect(await failure).toBe(bug);
    expect(events).toHaveLength(0);
  });

  it.each([
    [{ fetch: 'nope' }, 'fetch'],
    [{ classify: 42 }, 'classify'],
    [{ onThrottle: 'x' }, 'onThrottle'],
    [{ pauseLimiter: {} }, 'pauseLimiter'],
    [{ idempotencyKeyHeader: 'bad header' }, 'idempotencyKeyHeader'],
    [{ retryUnsafe: 'yes' }, 'retryUnsafe'],
    [{ bodyExcerptChars: 5000 }, 'bodyExcerptChars'],
    [{ bodyExcerptChars: -1 }, 'bodyExcerptChars'],
    [{ maxDrainBytes: 1.5 }, 'maxDrainBytes'],
    [{ clock: {} }, 'clock'],
  ])('rejects bad options at construction: %j', (options, option) => {
    let error: unknown;
    try {
      resilientFetch(httpRetry(), options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
  });

  it('calls the fetch in use as a plain function, never as a method of its options', async () => {
    // Browsers' and workerd's fetch throw "Illegal invocation" for any receiver but the global object or none.
    const receivers: unknown[] = [];
    const strictFetch = function (this: unknown): Promise<Response> {
      receivers.push(this);
      return Promise.resolve(new Response('ok'));
    };
    const response = await resilientFetch(httpRetry(), { fetch: strictFetch })('http://example.invalid/');
    expect(await response.text()).toBe('ok');
    expect(receivers).toEqual([undefined]);
  });

  it('rejects something that is not a policy', () => {
    expect(() => resilientFetch({} as never)).toThrow(InvalidOptionError);
  });

  it('honours a custom idempotency-key header and retryUnsafe', async () => {
    env.server.script(reply(500), reply(200));
    const policy = httpRetry();
    const keyed = resilientFetch(policy, { idempotencyKeyHeader: 'X-Request-Id' })(`${env.server.url}/`, {
      method: 'POST',
      headers: [['x-request-id', 'r-1']],
      body: 'a',
    });
    await next(policy, 'retry');
    await env.clock.advance(100);
    expect((await keyed).status).toBe(200);

    env.server.script(reply(500), reply(200));
    const optedIn = resilientFetch(policy, { retryUnsafe: true })(`${env.server.url}/`, {
      method: 'PATCH',
      body: 'b',
    });
    await next(policy, 'retry');
    await env.clock.advance(100);
    expect((await optedIn).status).toBe(200);
    expect(env.server.seen.map((s) => s.body)).toEqual(['a', 'a', 'b', 'b']);
  });
});
