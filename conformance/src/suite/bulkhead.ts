import { bulkhead, isBulkheadRejectedError } from '@bulwark/core';
import { flushMicrotasks, VirtualClock } from '@bulwark/core/testing';
import { deepEqual, equal, isPending, ok, rejectsWith, rejectsWithValue } from '../assert.js';
import type { Suite } from '../runner.js';

/** A promise with its resolve function: the test decides when work ends. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open: (value: T) => void = () => {};
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

export function registerBulkhead(suite: Suite): void {
  const t = suite.group('bulkhead');

  t('runs maxConcurrent, queues maxQueue in FIFO order, refuses the rest', async () => {
    const policy = bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    const started: number[] = [];
    const gates = [gate(), gate(), gate(), gate()];
    const run = (i: number) =>
      policy.execute(async () => {
        started.push(i);
        await gates[i]?.promise;
        return i;
      });
    const calls = [run(0), run(1), run(2)];
    const refused = await rejectsWith(run(3), isBulkheadRejectedError, 'BulkheadRejectedError');
    equal(refused.reason, 'full');
    equal(policy.executing, 2);
    equal(policy.queued, 1);
    deepEqual(started, [0, 1]);
    gates[1]?.open();
    equal(await calls[1], 1);
    await flushMicrotasks();
    deepEqual(started, [0, 1, 2], 'the queued call takes the freed slot');
    gates[0]?.open();
    gates[2]?.open();
    deepEqual(await Promise.all(calls), [0, 1, 2]);
    equal(policy.executing, 0);
    equal(policy.queued, 0);
  });

  t('a queued call gives up after queueTimeout', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 500, clock });
    const hold = gate();
    const first = policy.execute(() => hold.promise);
    const second = policy.execute(() => 'never runs');
    await clock.advance(499);
    ok(await isPending(second));
    await clock.advance(1);
    const error = await rejectsWith(second, isBulkheadRejectedError, 'BulkheadRejectedError');
    equal(error.reason, 'queueTimeout');
    hold.open();
    await first;
    equal(clock.pendingTimers, 0);
  });

  t('a queued caller that aborts leaves at once with its reason', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 5 });
    const hold = gate();
    const first = policy.execute(() => hold.promise);
    const controller = new AbortController();
    let ran = false;
    const queued = policy.execute(
      () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    equal(policy.queued, 1);
    const reason = new Error('bored');
    controller.abort(reason);
    await rejectsWithValue(queued, reason);
    equal(policy.queued, 0);
    hold.open();
    await first;
    equal(ran, false);
  });
}
