/**
 * A timeout lets go of a call as soon as the call is over for it: a settled call (or one the caller gave up on)
 * leaves the deadline queue at once and leaves no listener on the caller's signal, in both strategies, so neither
 * its deadline timer nor its memory outlives it. A layer that hands the timeout an aborted context gets the
 * reason without the function being called; `Infinity` sets no deadline.
 */
import { describe, expect, it } from 'vitest';
import {
  BulkheadRejectedError,
  bulkhead,
  constant,
  definePolicy,
  pipeline,
  retry,
  timeout,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { abortListeners, deferred } from '../support/helpers.js';

const strategies = ['aggressive', 'cooperative'] as const;

describe.each(strategies)('timeout (%s): leaving the deadline queue', (strategy) => {
  it('a call that resolves leaves the queue and the caller signal at once', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock, strategy });
    const controller = new AbortController();
    const gate = deferred<string>();
    const result = policy.execute(() => gate.promise, { signal: controller.signal });
    expect(policy.queue.size).toBe(1);
    gate.resolve('ok');
    await expect(result).resolves.toBe('ok');
    expect(policy.queue.size).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('a call that rejects leaves the queue and the caller signal at once', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock, strategy });
    const controller = new AbortController();
    const gate = deferred<string>();
    const result = policy.execute(() => gate.promise, { signal: controller.signal });
    const error = new Error('no');
    gate.reject(error);
    await expect(result).rejects.toBe(error);
    expect(policy.queue.size).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('a call the caller aborted leaves the queue even while its function runs on', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock, strategy, resolution: 0 });
    const controller = new AbortController();
    const gate = deferred<string>();
    const result = policy.execute(() => gate.promise, { signal: controller.signal });
    result.catch(() => {});
    controller.abort('stop');
    await expect(result).rejects.toBe('stop');
    expect(policy.queue.size).toBe(0);
    // Exact mode: the deadline of the only call was its own timer, gone with it.
    expect(policy.queue.armed).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    gate.resolve('late');
  });

  it('a layer that hands the timeout an already-aborted context gets its reason; the function is not called', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    // A layer that lets the caller abort happen before it passes the context on.
    const late = definePolicy({
      name: 'late',
      async run(context, next) {
        controller.abort('gone');
        return next(context);
      },
    });
    let calls = 0;
    const limit = timeout(1_000, { clock, strategy });
    const policy = pipeline(late, limit);
    const result = policy.execute(
      () => {
        calls++;
        return 'ran';
      },
      { signal: controller.signal },
    );
    await expect(result).rejects.toBe('gone');
    expect(calls).toBe(0);
    expect(limit.queue.size).toBe(0);
  });
});

describe.each(strategies)('timeout (%s) under retry', (strategy) => {
  it("a caller abort during the backoff leaves alone the signal an earlier attempt's function got", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const policy = pipeline(
      retry({ maxAttempts: 2, backoff: constant(100), clock }),
      timeout(1_000, { clock, strategy }),
    );
    const signals: AbortSignal[] = [];
    const result = policy.execute(
      ({ signal }) => {
        signals.push(signal);
        return Promise.reject(new Error('try again'));
      },
      { signal: controller.signal },
    );
    result.catch(() => {});
    await clock.advance(50);
    expect(signals).toHaveLength(1);
    controller.abort('stop');
    await expect(result).rejects.toBe('stop');
    expect(signals[0]!.aborted).toBe(false);
  });
});

describe('timeout (aggressive): a function that aborts its caller while it starts', () => {
  it('the caller gets its reason; a bulkhead around keeps the slot until the work ends', async () => {
    const clock = new VirtualClock();
    const limit = bulkhead({ maxConcurrent: 1, clock });
    const policy = pipeline(limit, timeout(1_000, { clock }));
    const controller = new AbortController();
    const work = deferred<string>();
    const result = policy.execute(
      () => {
        controller.abort('changed my mind');
        return work.promise;
      },
      { signal: controller.signal },
    );
    await expect(result).rejects.toBe('changed my mind');
    await expect(policy.execute(() => 'second')).rejects.toBeInstanceOf(BulkheadRejectedError);
    work.resolve('done anyway');
    await clock.advance(0);
    await expect(policy.execute(() => 'third')).resolves.toBe('third');
  });

  it('a later rejection of that work is observed, never unhandled', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const controller = new AbortController();
      const work = deferred<string>();
      const result = timeout(1_000).execute(
        () => {
          controller.abort('changed my mind');
          return work.promise;
        },
        { signal: controller.signal },
      );
      await expect(result).rejects.toBe('changed my mind');
      work.reject(new Error('late failure'));
      // Node reports unhandled rejections once the microtasks ran: a macrotask later is enough.
      await flushMicrotasks();
    } finally {
      process.off('unhandledRejection', record);
    }
    expect(unhandled).toEqual([]);
  });
});

describe('timeout(Infinity)', () => {
  it('sets no deadline and arms nothing: the function sees none and runs to its end', async () => {
    const clock = new VirtualClock();
    const policy = timeout(Number.POSITIVE_INFINITY, { clock });
    const seen = await policy.execute((ctx) => ({ deadline: ctx.deadline, aborted: ctx.signal.aborted }));
    expect(seen).toEqual({ deadline: undefined, aborted: false });
    expect(clock.pendingTimers).toBe(0);
    expect(policy.queue.size).toBe(0);
  });
});
