import { constant, exponential, isTimeoutError, listBackoff, nextEvent, retry } from '@bulwark/core';
import { seededRandom, VirtualClock } from '@bulwark/core/testing';
import { deepEqual, equal, isPending, ok, rejectsWithValue } from '../assert.js';
import type { Suite } from '../runner.js';

export function registerRetry(suite: Suite): void {
  const t = suite.group('retry');

  t('retries until the call succeeds, waiting the exponential delays', async () => {
    const clock = new VirtualClock();
    const policy = retry({
      maxAttempts: 4,
      backoff: exponential({ initialDelay: 100, jitter: 'none' }),
      clock,
    });
    const delays: number[] = [];
    policy.on('retry', ({ delay }) => delays.push(delay));
    let calls = 0;
    const result = policy.execute(({ attempt }) => {
      calls++;
      return attempt < 3 ? Promise.reject(new Error(`busy ${attempt}`)) : `ok after ${attempt}`;
    });
    await clock.advance(99);
    equal(calls, 1, 'no retry before the first delay');
    await clock.advance(1);
    equal(calls, 2);
    await clock.advance(600);
    equal(await result, 'ok after 3');
    deepEqual(delays, [100, 200, 400]);
    equal(clock.pendingTimers, 0, 'no timer left');
  });

  t('gives up after maxAttempts with the last error', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 3, backoff: constant(50), clock });
    const reasons: string[] = [];
    policy.on('giveUp', ({ reason }) => reasons.push(reason));
    const errors = [new Error('a'), new Error('b'), new Error('c')];
    let calls = 0;
    const result = policy.execute(() => Promise.reject(errors[calls++]));
    const settled = rejectsWithValue(result, errors[2]);
    await clock.runAll();
    await settled;
    equal(calls, 3);
    deepEqual(reasons, ['attempts']);
  });

  t('does not retry an error its handle refuses', async () => {
    const clock = new VirtualClock();
    const policy = retry({ handle: (error) => !(error instanceof RangeError), clock });
    const fatal = new RangeError('bad input');
    let calls = 0;
    await rejectsWithValue(
      policy.execute(() => {
        calls++;
        throw fatal;
      }),
      fatal,
    );
    equal(calls, 1);
  });

  t('retries a result handleResult rejects, then returns the last one', async () => {
    const clock = new VirtualClock();
    const policy = retry({
      maxAttempts: 2,
      backoff: constant(10),
      handleResult: (value) => value === 'busy',
      clock,
    });
    const result = policy.execute(() => 'busy');
    await clock.runAll();
    equal(await result, 'busy');
  });

  t('a caller abort during the backoff wait rejects at once with its reason', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 5, backoff: constant(10_000), clock });
    const controller = new AbortController();
    let calls = 0;
    const result = policy.execute(
      () => {
        calls++;
        throw new Error('busy');
      },
      { signal: controller.signal },
    );
    await clock.advance(1);
    ok(await isPending(result), 'waiting for the backoff');
    const reason = new Error('caller gone');
    controller.abort(reason);
    await rejectsWithValue(result, reason);
    equal(calls, 1);
    equal(clock.pendingTimers, 0, 'the backoff timer is cleared');
  });

  t('exponential backoff: caps, jitter bounds and a reproducible seeded sequence', () => {
    deepEqual(
      exponential({ initialDelay: 100, maxDelay: 1_000, jitter: 'none' }).delays(6),
      [100, 200, 400, 800, 1_000, 1_000],
    );
    for (const jitter of ['full', 'equal', 'decorrelated'] as const) {
      const backoff = exponential({ initialDelay: 100, maxDelay: 5_000, jitter });
      const first = backoff.delays(50, seededRandom(7));
      deepEqual(backoff.delays(50, seededRandom(7)), first, `${jitter}: same seed, same delays`);
      ok(
        first.every((delay) => Number.isFinite(delay) && delay >= 0 && delay <= 5_000),
        `${jitter}: delays within [0, 5000]`,
      );
    }
  });

  t('the deadline of an enclosing execution stops the retries', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 10, backoff: constant(1_000), clock });
    const reasons: string[] = [];
    policy.on('giveUp', ({ reason }) => reasons.push(reason));
    const busy = new Error('busy');
    const result = policy.execute(() => Promise.reject(busy), { deadline: 2_500 });
    const settled = rejectsWithValue(result, busy);
    await clock.runAll();
    await settled;
    deepEqual(reasons, ['deadline']);
    ok(!isTimeoutError(busy));
  });

  t(
    "a listBackoff with exhausted: 'stop' ends the retries with its list; nextEvent sees the give-up",
    async () => {
      const clock = new VirtualClock();
      const policy = retry({ maxAttempts: 10, backoff: listBackoff([5, 10], { exhausted: 'stop' }), clock });
      const gaveUp = nextEvent(policy, 'giveUp');
      let calls = 0;
      const result = policy.execute(() => Promise.reject(new Error(`fail ${++calls}`)));
      result.catch(() => {});
      await clock.runAll();
      await rejectsWithValue(
        result.catch((e: Error) => Promise.reject(e.message)),
        'fail 3',
      );
      equal((await gaveUp).attempts, 3);
      equal(clock.now(), 15);
    },
  );

  t('nextEvent rejects at once with the reason of an aborted signal', async () => {
    const controller = new AbortController();
    const waiting = nextEvent(retry(), 'retry', { signal: controller.signal });
    controller.abort('enough');
    await rejectsWithValue(waiting, 'enough');
  });
}
