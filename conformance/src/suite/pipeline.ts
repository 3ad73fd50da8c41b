import {
  bulkhead,
  circuitBreaker,
  constant,
  fallback,
  isTimeoutError,
  pipeline,
  retry,
  timeout,
} from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { deepEqual, equal, ok, rejectsWithValue } from '../assert.js';
import type { Suite } from '../runner.js';

export function registerPipeline(suite: Suite): void {
  const t = suite.group('pipeline');

  t('retry over a per-attempt timeout: a hung attempt times out and the next succeeds', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      retry({ maxAttempts: 3, backoff: constant(100), clock }),
      timeout(1_000, { clock, resolution: 0 }),
    );
    let calls = 0;
    const result = policy.execute(() =>
      ++calls === 1 ? new Promise<string>(() => {}) : Promise.resolve('second'),
    );
    await clock.advance(1_100);
    equal(await result, 'second');
    equal(calls, 2);
  });

  t(
    'a caller abort wins at once through every layer, even when the function ignores its signal',
    async () => {
      const clock = new VirtualClock();
      const policy = pipeline(
        fallback({ fallback: () => 'fallback must not run' }),
        timeout(10_000, { clock }),
        retry({ maxAttempts: 5, backoff: constant(100), clock }),
        circuitBreaker({ clock }),
        bulkhead({ maxConcurrent: 1, clock }),
        timeout(2_000, { clock }),
      );
      const controller = new AbortController();
      let calls = 0;
      let inner: AbortSignal | undefined;
      const result = policy.execute(
        ({ signal }) => {
          calls++;
          inner = signal;
          return new Promise<string>(() => {}); // ignores its signal
        },
        { signal: controller.signal },
      );
      await clock.advance(10);
      const reason = new Error('caller aborted');
      controller.abort(reason);
      await rejectsWithValue(result, reason);
      ok(inner?.aborted, 'the function is told to stop');
      await clock.advance(20_000);
      equal(calls, 1, 'nothing retried after the abort');
    },
  );

  t('an abort during the function call itself rejects with the reason', async () => {
    const policy = pipeline(retry(), timeout(1_000));
    const controller = new AbortController();
    const reason = new Error('sync abort');
    await rejectsWithValue(
      policy.execute(
        () => {
          controller.abort(reason);
          return 'late value';
        },
        { signal: controller.signal },
      ),
      reason,
    );
  });

  t('an already aborted signal never calls the function', async () => {
    const policy = pipeline(retry(), timeout(1_000));
    const reason = new Error('before start');
    let calls = 0;
    await rejectsWithValue(
      policy.execute(() => calls++, { signal: AbortSignal.abort(reason) }),
      reason,
    );
    equal(calls, 0);
  });

  t('an outer timeout bounds all attempts; events name their layers', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      timeout(2_500, { clock, resolution: 0, name: 'total' }),
      retry({ maxAttempts: 10, backoff: constant(1_000), clock, name: 'retries' }),
    );
    const events: string[] = [];
    policy.on('retry', ({ policy: name }) => events.push(`retry:${name}`));
    policy.on('timeout', ({ policy: name }) => events.push(`timeout:${name}`));
    policy.on('giveUp', ({ policy: name, reason }) => events.push(`giveUp:${name}:${reason}`));
    const result = policy.execute(() => Promise.reject(new Error('busy')));
    const settled = result.catch((error: unknown) => error);
    await clock.runAll();
    const error = await settled;
    ok(error instanceof Error);
    deepEqual(events, ['retry:retries', 'retry:retries', 'giveUp:retries:deadline']);
    ok(!isTimeoutError(error), 'retry gave up before the deadline instead of sleeping through it');
  });
}
