import { getEventListeners, setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  BulkheadRejectedError,
  bulkhead,
  isBulkheadRejectedError,
  isInvalidOptionError,
  pipeline,
  type PolicyEvents,
  TimeoutError,
  timeout,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

/** Records every event a policy emits, in order. */
function record(policy: { on: (event: any, listener: (payload: any) => void) => () => void }) {
  const events: Array<[keyof PolicyEvents, any]> = [];
  for (const name of ['success', 'failure', 'rejected', 'queued'] as const) {
    policy.on(name, (payload) => events.push([name, payload]));
  }
  return events;
}

describe('bulkhead options', () => {
  it.each([
    [{ maxConcurrent: 0 }, 'maxConcurrent'],
    [{ maxConcurrent: -1 }, 'maxConcurrent'],
    [{ maxConcurrent: 1.5 }, 'maxConcurrent'],
    [{ maxConcurrent: Number.NaN }, 'maxConcurrent'],
    [{ maxConcurrent: '2' }, 'maxConcurrent'],
    [{}, 'maxConcurrent'],
    [{ maxConcurrent: 1, maxQueue: -1 }, 'maxQueue'],
    [{ maxConcurrent: 1, maxQueue: 0.5 }, 'maxQueue'],
    [{ maxConcurrent: 1, queueTimeout: 0 }, 'queueTimeout'],
    [{ maxConcurrent: 1, queueTimeout: -5 }, 'queueTimeout'],
    [{ maxConcurrent: 1, queueTimeout: Number.NaN }, 'queueTimeout'],
  ])('rejects %o at construction with InvalidOptionError(%s)', (options, option) => {
    let thrown: unknown;
    try {
      bulkhead(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(isInvalidOptionError(thrown)).toBe(true);
    expect((thrown as { option: string }).option).toBe(option);
  });

  it('rejects a missing options object with InvalidOptionError naming options', () => {
    expect(() => bulkhead(undefined as never)).toThrow(/Invalid option "options"/);
  });

  it('accepts Infinity for maxConcurrent, maxQueue and queueTimeout', () => {
    const policy = bulkhead({ maxConcurrent: Infinity, maxQueue: Infinity, queueTimeout: Infinity });
    expect(policy.maxConcurrent).toBe(Infinity);
    expect(policy.queueTimeout).toBeUndefined();
  });
});

describe('bulkhead', () => {
  it('runs up to maxConcurrent at once and rejects the next when there is no queue', async () => {
    const policy = bulkhead({ maxConcurrent: 2 });
    const events = record(policy);
    const gates = [deferred(), deferred()];
    const running = gates.map((gate, i) => policy.execute(() => gate.promise.then(() => i)));
    expect(policy.executing).toBe(2);
    const error = await policy.execute(() => 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect(isBulkheadRejectedError(error)).toBe(true);
    expect((error as BulkheadRejectedError).reason).toBe('full');
    expect(events).toContainEqual(['rejected', { policy: 'bulkhead', reason: 'bulkheadFull' }]);
    gates[0]!.resolve();
    await expect(running[0]).resolves.toBe(0);
    expect(policy.executing).toBe(1);
    // The freed slot is usable at once.
    await expect(policy.execute(() => 'now')).resolves.toBe('now');
    gates[1]!.resolve();
    await expect(running[1]).resolves.toBe(1);
    expect(policy.executing).toBe(0);
  });

  it('queues up to maxQueue callers and runs them in FIFO order as slots free', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const events = record(policy);
    const order: number[] = [];
    const gates = [0, 1, 2, 3].map(() => deferred());
    const runs = gates.map((gate, i) =>
      policy.execute(async () => {
        order.push(i);
        await gate.promise;
        return i;
      }),
    );
    expect(policy.executing).toBe(1);
    expect(policy.queued).toBe(3);
    expect(events.filter(([name]) => name === 'queued').map(([, p]) => p.position)).toEqual([0, 1, 2]);
    await expect(policy.execute(() => 'overflow')).rejects.toMatchObject({ reason: 'full' });
    for (const gate of gates) {
      gate.resolve();
      await flushMicrotasks();
    }
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3]);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(policy.executing).toBe(0);
    expect(policy.queued).toBe(0);
  });

  it('never lets a newcomer take a slot that was handed to the head of the queue', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred();
    const order: string[] = [];
    void gate.promise.then(() => order.push('a'));
    const a = policy.execute(() => gate.promise);
    const b = policy.execute(() => order.push('b'));
    let c: Promise<unknown> | undefined;
    // Runs right after the slot is handed to b, before b's function starts: c must queue behind b.
    void gate.promise.then(() => {
      c = policy.execute(() => order.push('c'));
    });
    gate.resolve();
    await Promise.all([a, b]);
    await c;
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('rejects a queued call with queueTimeout after exactly queueTimeout and frees its place', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 500, clock });
    const events = record(policy);
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    let settledAt: number | undefined;
    const queued = policy
      .execute(() => 'late')
      .catch((e: unknown) => {
        settledAt = clock.now();
        return e;
      });
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(499);
    expect(settledAt).toBeUndefined();
    await clock.advance(1);
    const error = await queued;
    expect(settledAt).toBe(500);
    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect((error as BulkheadRejectedError).reason).toBe('queueTimeout');
    expect(events).toContainEqual(['rejected', { policy: 'bulkhead', reason: 'queueTimeout' }]);
    expect(policy.queued).toBe(0);
    // The place is free again.
    const next = policy.execute(() => 'next');
    expect(policy.queued).toBe(1);
    gate.resolve();
    await expect(next).resolves.toBe('next');
    await running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('never keeps a call queued past the caller’s deadline', async () => {
    const clock = new VirtualClock(1000);
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 2, queueTimeout: 5000, clock });
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    let settledAt: number | undefined;
    const queued = policy
      .execute(() => 'late', { deadline: 1300 })
      .catch((e: unknown) => {
        settledAt = clock.now();
        return e;
      });
    await expect(policy.execute(() => 'past', { deadline: 1000 })).rejects.toMatchObject({
      reason: 'queueTimeout',
    });
    await clock.advance(300);
    expect(await queued).toMatchObject({ reason: 'queueTimeout' });
    expect(settledAt).toBe(1300);
    gate.resolve();
    await running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('clears the queue timer of a call that got a slot in time', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 500, clock });
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    const queued = policy.execute(() => 'ok');
    await clock.advance(100);
    gate.resolve();
    await expect(queued).resolves.toBe('ok');
    await running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets an aborted queued caller leave at once with the signal reason, freeing its place', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const events = record(policy);
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const aborted = policy.execute(
      () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    const behind = policy.execute(() => 'behind');
    expect(policy.queued).toBe(2);
    expect(getEventListeners(controller.signal, 'abort').length).toBeGreaterThan(0);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    // Synchronously out of the queue, before any slot frees.
    expect(policy.queued).toBe(1);
    await expect(aborted).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(events).toContainEqual(['failure', expect.objectContaining({ error: reason })]);
    // Its place is free: another caller fits into the queue.
    const third = policy.execute(() => 'third');
    expect(policy.queued).toBe(2);
    gate.resolve();
    await expect(behind).resolves.toBe('behind');
    await expect(third).resolves.toBe('third');
    await running;
    expect(ran).toBe(false);
  });

  it('gives the slot back when the caller aborts between the hand-over and the start', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const gate = deferred();
    const controller = new AbortController();
    let ran = false;
    const running = policy.execute(() => gate.promise);
    const queued = policy.execute(
      () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    const last = policy.execute(() => 'last');
    // The finishing call hands its slot to `queued` in a reaction on `gate`; this reaction runs right after it,
    // before the queued call's continuation can start the function.
    void gate.promise.then(() => {
      expect(policy.executing).toBe(1);
      expect(policy.queued).toBe(1);
      controller.abort(new Error('late abort'));
    });
    gate.resolve();
    await running;
    await expect(queued).rejects.toThrow('late abort');
    await expect(last).resolves.toBe('last');
    expect(ran).toBe(false);
    expect(policy.executing).toBe(0);
  });

  it('rejects at once, without queueing, when the signal is already aborted', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    const reason = new Error('already');
    await expect(policy.execute(() => 'x', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(policy.queued).toBe(0);
    gate.resolve();
    await running;
  });

  it('fires success and failure with durations, also for queued calls', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const events = record(policy);
    const gate = deferred();
    const first = policy.execute(() => gate.promise.then(() => 'one'));
    const second = policy.execute(() => {
      throw new Error('boom');
    });
    await clock.advance(30);
    gate.resolve();
    await expect(first).resolves.toBe('one');
    await expect(second).rejects.toThrow('boom');
    expect(events).toEqual([
      ['queued', { policy: 'bulkhead', position: 0 }],
      ['success', { policy: 'bulkhead', duration: 30 }],
      ['failure', { policy: 'bulkhead', duration: 30, error: expect.any(Error) }],
    ]);
  });

  it('releases the slot when the function throws synchronously or returns a plain value', async () => {
    const policy = bulkhead({ maxConcurrent: 1 });
    await expect(
      policy.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(policy.executing).toBe(0);
    await expect(policy.execute(() => 42)).resolves.toBe(42);
    expect(policy.executing).toBe(0);
  });

  it('releases the slot of a failed call to the next queued caller', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred();
    const failing = policy.execute(() => gate.promise.then(() => Promise.reject(new Error('down'))));
    const next = policy.execute(() => 'next');
    gate.resolve();
    await expect(failing).rejects.toThrow('down');
    await expect(next).resolves.toBe('next');
  });

  it('inside a pipeline, an outer timeout ends a queued call with TimeoutError and frees its place', async () => {
    const clock = new VirtualClock();
    const shared = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const policy = pipeline(timeout(100, { clock, resolution: 0 }), shared);
    const gate = deferred();
    const running = shared.execute(() => gate.promise);
    const queued = policy.execute(() => 'never').catch((e: unknown) => e);
    expect(shared.queued).toBe(1);
    await clock.advance(100);
    expect(await queued).toBeInstanceOf(TimeoutError);
    expect(shared.queued).toBe(0);
    gate.resolve();
    await running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('hands every slot over correctly with hundreds of simultaneous executions', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 7, maxQueue: Infinity, clock });
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const runs = Array.from({ length: 500 }, (_, i) =>
      policy.execute(async () => {
        started.push(i);
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((resolve) => clock.setTimer(resolve, 1 + (i % 13)));
        active--;
        return i;
      }),
    );
    expect(policy.executing).toBe(7);
    expect(policy.queued).toBe(493);
    await clock.runAll();
    const results = await Promise.all(runs);
    expect(results).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(started).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(peak).toBe(7);
    expect(policy.executing).toBe(0);
    expect(policy.queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborting hundreds of queued callers at once empties the queue and leaves no listener', async () => {
    const policy = bulkhead({ maxConcurrent: 2, maxQueue: Infinity });
    const gate = deferred();
    const running = [policy.execute(() => gate.promise), policy.execute(() => gate.promise)];
    const controller = new AbortController();
    setMaxListeners(400, controller.signal);
    const queued = Array.from({ length: 300 }, () =>
      policy.execute(() => 'never', { signal: controller.signal }).catch((e: unknown) => e),
    );
    expect(policy.queued).toBe(300);
    controller.abort('stop');
    expect(policy.queued).toBe(0);
    expect(await Promise.all(queued)).toEqual(Array(300).fill('stop'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    gate.resolve();
    await Promise.all(running);
    expect(policy.executing).toBe(0);
  });
});
