import { circuitBreaker, constant, isTimeoutError, pipeline, retry, timeout } from '@bulwark/core';
import { handle, isHttpStatusError, resilientFetch } from '@bulwark/http-status';
import { deepEqual, equal, ok, rejectsWith, rejectsWithValue } from '../assert.js';
import type { Suite } from '../runner.js';

/**
 * resilientFetch with this runtime's own fetch against the harness's server (harness/server.mjs), which answers
 * `/ok`, `/flaky/<id>?failures=n&status=s&retryAfter=v` (n failures, then 200 with `{ calls }`), `/hang` (never) and
 * `/calls/<id>`. In a browser the server is another origin: its CORS headers are part of what is tested.
 */
export function registerFetch(suite: Suite, baseUrl: string): void {
  const t = suite.group('resilientFetch');
  const run = Math.random().toString(36).slice(2);
  let next = 0;
  const id = () => `${run}-${next++}`;
  const calls = async (key: string): Promise<number> =>
    ((await (await fetch(`${baseUrl}/calls/${key}`)).json()) as { calls: number }).calls;

  const policy = (attempts = 3) =>
    pipeline(
      retry({ maxAttempts: attempts, backoff: constant(10), handle: handle.retry, maxDelay: 1_000 }),
      circuitBreaker({ handle: handle.breaker }),
      timeout(5_000),
    );

  t('a 200 passes through untouched', async () => {
    const response = await resilientFetch(policy())(`${baseUrl}/ok`);
    equal(response.status, 200);
    deepEqual(await response.json(), { ok: true });
  });

  t('a 503 with Retry-After is retried after the hint, then succeeds', async () => {
    const key = id();
    const sources: string[] = [];
    const retrying = retry({ maxAttempts: 3, handle: handle.retry, backoff: constant(5_000) });
    retrying.on('retry', ({ delay, delaySource }) => sources.push(`${delaySource}:${delay}`));
    const response = await resilientFetch(retrying)(
      `${baseUrl}/flaky/${key}?failures=1&status=503&retryAfter=0`,
    );
    equal(response.status, 200);
    deepEqual(await response.json(), { calls: 2 });
    deepEqual(
      sources,
      ['hint:0'],
      'the Retry-After header is readable (and used instead of the 5 s backoff)',
    );
  });

  t('a POST answered 500 is not repeated and comes back as the original Response', async () => {
    const key = id();
    const response = await resilientFetch(policy())(`${baseUrl}/flaky/${key}?failures=5&status=500`, {
      method: 'POST',
      body: '{"order":1}',
    });
    equal(response.status, 500);
    equal(await response.text(), 'busy');
    equal(await calls(key), 1);
  });

  t('a POST with an Idempotency-Key is repeated', async () => {
    const key = id();
    const response = await resilientFetch(policy())(`${baseUrl}/flaky/${key}?failures=2&status=503`, {
      method: 'POST',
      headers: { 'Idempotency-Key': key, 'content-type': 'application/json' },
      body: '{"order":2}',
    });
    equal(response.status, 200);
    equal(await calls(key), 3);
  });

  t(
    'a 429 hint longer than maxDelay gives up at once with an HttpStatusError and calls onThrottle',
    async () => {
      const key = id();
      const throttled: number[] = [];
      const api = resilientFetch(policy(), { onThrottle: (ms) => throttled.push(ms) });
      const error = await rejectsWith(
        api(`${baseUrl}/flaky/${key}?failures=1&status=429&retryAfter=7`),
        isHttpStatusError,
        'HttpStatusError',
      );
      equal(error.status, 429);
      equal(error.retryAfterMs, 7_000);
      equal(error.body, 'busy');
      deepEqual(throttled, [7_000]);
      equal(await calls(key), 1);
    },
  );

  t('a hung request times out (TimeoutError) on the real clock', async () => {
    const api = resilientFetch(pipeline(retry({ maxAttempts: 1 }), timeout(100)));
    await rejectsWith(api(`${baseUrl}/hang`), isTimeoutError, 'TimeoutError');
  });

  t("a caller abort rejects at once with the caller's reason", async () => {
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const pending = resilientFetch(policy())(`${baseUrl}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await rejectsWithValue(pending, reason);
  });

  t('a Request object and its own signal are honoured', async () => {
    const controller = new AbortController();
    const request = new Request(`${baseUrl}/ok`, { signal: controller.signal });
    const response = await resilientFetch(policy())(request);
    equal(response.status, 200);
    ok(response.headers.get('content-type')?.startsWith('application/json'));
  });
}
