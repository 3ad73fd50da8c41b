import { describe, expect, it } from 'vitest';
import { bulkhead, definePolicy, pipeline } from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

describe('bulkhead events', () => {
  it.each(['success', 'failure'] as const)(
    "with only a '%s' listener, a call that got a slot at once reports its own duration",
    async (event) => {
      const clock = new VirtualClock(1_000);
      const policy = bulkhead({ maxConcurrent: 1, clock });
      const seen: unknown[] = [];
      policy.on(event, (payload) => seen.push(payload));
      const gate = deferred<string>();
      const error = new Error('no');
      const call = policy.execute(() => gate.promise).catch((reason: unknown) => reason);
      await clock.advance(40);
      if (event === 'success') gate.resolve('ok');
      else gate.reject(error);
      await call;
      expect(seen).toEqual([
        event === 'success'
          ? { policy: 'bulkhead', duration: 40 }
          : { policy: 'bulkhead', duration: 40, error },
      ]);
    },
  );

  it('a call that timed out in the queue is reported as rejected only, not as a failure', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 100, clock });
    const events: string[] = [];
    policy.on('failure', () => events.push('failure'));
    policy.on('rejected', (e) => events.push(`rejected:${e.reason}`));
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    const queued = policy.execute(() => 'late').catch((error: unknown) => error);
    await clock.advance(100);
    await queued;
    expect(events).toEqual(['rejected:queueTimeout']);
    gate.resolve();
    await running;
  });

  it('a caller aborting between the hand-over and the start is reported as a failure with its reason', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e));
    const gate = deferred();
    const controller = new AbortController();
    const running = policy.execute(() => gate.promise);
    const queued = policy.execute(() => 'never', { signal: controller.signal });
    await clock.advance(70);
    const reason = new Error('late abort');
    // Right after the first call's slot was handed over (its release is the reaction registered before this one),
    // before the queued call's continuation starts the function.
    void running.then(() => {
      expect(policy.queued).toBe(0);
      controller.abort(reason);
    });
    gate.resolve();
    await running;
    await expect(queued).rejects.toBe(reason);
    expect(failures).toEqual([{ policy: 'bulkhead', duration: 70, error: reason }]);
    expect(policy.executing).toBe(0);
  });

  it("'queued' says how many callers are ahead", async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const positions: Array<number | undefined> = [];
    policy.on('queued', (e) => positions.push(e.position));
    const gate = deferred();
    const calls = [0, 1, 2, 3].map(() => policy.execute(() => gate.promise));
    expect(positions).toEqual([0, 1, 2]);
    gate.resolve();
    await Promise.all(calls);
  });

  it("'rejected' for a full bulkhead names the policy and the reason", async () => {
    const policy = bulkhead({ maxConcurrent: 1, name: 'db' });
    const rejected: unknown[] = [];
    policy.on('rejected', (e) => rejected.push(e));
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    await expect(policy.execute(() => 'x')).rejects.toMatchObject({ reason: 'full' });
    expect(rejected).toEqual([{ policy: 'db', reason: 'bulkheadFull' }]);
    gate.resolve();
    await running;
  });
});

describe('bulkhead queue patience', () => {
  it('without queueTimeout or deadline, a queued call waits as long as it takes', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    const queued = policy.execute(() => 'served');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(3_600_000);
    expect(policy.queued).toBe(1);
    gate.resolve();
    await expect(queued).resolves.toBe('served');
    await running;
  });

  it('a deadline later than queueTimeout leaves queueTimeout in force', async () => {
    const clock = new VirtualClock(1_000);
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 100, clock });
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    let settledAt: number | undefined;
    const queued = policy
      .execute(() => 'late', { deadline: 5_000 })
      .catch((error: unknown) => {
        settledAt = clock.now();
        return error;
      });
    await clock.advance(5_000);
    expect(await queued).toMatchObject({ reason: 'queueTimeout' });
    expect(settledAt).toBe(1_100);
    gate.resolve();
    await running;
  });

  it('a deadline sooner than queueTimeout ends the wait at the deadline, whatever the time it started', async () => {
    // 300 ms left at 1000: the deadline (1300) is sooner than queueTimeout (2000), though 1300 + 1000 is not.
    const clock = new VirtualClock(1_000);
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 2_000, clock });
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    let settledAt: number | undefined;
    const queued = policy
      .execute(() => 'late', { deadline: 1_300 })
      .catch((error: unknown) => {
        settledAt = clock.now();
        return error;
      });
    await clock.advance(5_000);
    expect(await queued).toMatchObject({ reason: 'queueTimeout' });
    expect(settledAt).toBe(1_300);
    gate.resolve();
    await running;
  });

  it('a layer that hands it a context already aborted gets the reason at once, without queueing', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const queuedEvents: unknown[] = [];
    policy.on('queued', (e) => queuedEvents.push(e));
    const gate = deferred();
    const running = policy.execute(() => gate.promise);
    // A custom layer that lets time pass before calling on, without checking the signal.
    const pause = deferred();
    let inner: Promise<unknown> | undefined;
    const late = definePolicy({
      name: 'late',
      run: async (context, next) => {
        await pause.promise;
        inner = Promise.resolve(next(context));
        return inner;
      },
    });
    const controller = new AbortController();
    const reason = new Error('left');
    const outer = pipeline(late, policy).execute(() => 'never', { signal: controller.signal });
    controller.abort(reason);
    await expect(outer).rejects.toBe(reason);
    pause.resolve();
    await flushMicrotasks();
    await expect(inner).rejects.toBe(reason);
    expect(queuedEvents).toEqual([]);
    expect(policy.queued).toBe(0);
    gate.resolve();
    await running;
  });
});

describe('bulkhead size checks', () => {
  it('the options object is required, and the message says it needs maxConcurrent', () => {
    expect(() => bulkhead(undefined as never)).toThrow(
      'Invalid option "options": expected an options object with maxConcurrent, got undefined',
    );
  });

  it('resize takes Infinity for the queue', () => {
    const policy = bulkhead({ maxConcurrent: 1 });
    policy.resize(2, Number.POSITIVE_INFINITY);
    expect(policy.maxQueue).toBe(Number.POSITIVE_INFINITY);
  });
});
