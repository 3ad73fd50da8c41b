import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BulkheadRejectedError,
  bulkhead,
  InvalidOptionError,
  type LimitChangeEvent,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { abortListeners, deferred } from '../support/helpers.js';

describe('bulkhead.resize', () => {
  it('a larger size admits queued callers at once, in their order', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 5 });
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map(() => deferred());
    const runs = gates.map((gate, i) =>
      policy.execute(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await flushMicrotasks();
    expect(started).toEqual([0]);
    expect(policy.queued).toBe(3);
    policy.resize(3);
    await flushMicrotasks();
    expect(started).toEqual([0, 1, 2]);
    expect(policy.executing).toBe(3);
    expect(policy.queued).toBe(1);
    expect(policy.maxConcurrent).toBe(3);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(policy.executing).toBe(0);
  });

  it('a smaller size cancels nothing and lets the excess drain before admitting anyone', async () => {
    const policy = bulkhead({ maxConcurrent: 3, maxQueue: 5 });
    const gates = [0, 1, 2, 3].map(() => deferred());
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      policy.execute(async (ctx) => {
        started.push(i);
        await gate.promise;
        return ctx.signal.aborted;
      }),
    );
    await flushMicrotasks();
    policy.resize(1);
    expect(policy.executing).toBe(3);
    gates[0]!.resolve();
    await flushMicrotasks();
    expect(policy.executing).toBe(2);
    gates[1]!.resolve();
    await flushMicrotasks();
    expect(policy.executing).toBe(1);
    expect(started).toEqual([0, 1, 2]);
    gates[2]!.resolve();
    await flushMicrotasks();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(policy.executing).toBe(1);
    gates[3]!.resolve();
    // No running call was aborted.
    expect(await Promise.all(runs)).toEqual([false, false, false, false]);
  });

  it('a smaller queue keeps the callers already queued and refuses newcomers', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const gate = deferred();
    const runs = [0, 1, 2].map((i) => policy.execute(() => gate.promise.then(() => i)));
    await flushMicrotasks();
    policy.resize(1, 0);
    expect(policy.maxQueue).toBe(0);
    expect(policy.queued).toBe(2);
    await expect(policy.execute(() => 9)).rejects.toBeInstanceOf(BulkheadRejectedError);
    gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
  });

  it('queued callers keep their timeout and signal across a resize', async () => {
    const clock = new VirtualClock();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 100, clock });
    const gate = deferred();
    const first = policy.execute(() => gate.promise);
    const controller = new AbortController();
    const aborted = policy.execute(() => 'a', { signal: controller.signal });
    const timed = policy.execute(() => 'b');
    const timedOut = expect(timed).rejects.toMatchObject({ reason: 'queueTimeout' });
    policy.resize(1, 1);
    await clock.advance(50);
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect(abortListeners(controller.signal)).toBe(0);
    await clock.advance(50);
    await timedOut;
    gate.resolve();
    await first;
    expect(clock.pendingTimers).toBe(0);
  });

  it('emits limitChange when the size changes', () => {
    const policy = bulkhead({ maxConcurrent: 2, name: 'db' });
    const events: LimitChangeEvent[] = [];
    policy.on('limitChange', (e) => events.push(e));
    policy.resize(4);
    policy.resize(4, 3);
    policy.resize(1);
    expect(events).toEqual([
      { policy: 'db', from: 2, to: 4, reason: 'increase' },
      { policy: 'db', from: 4, to: 1, reason: 'decrease' },
    ]);
  });

  it('refuses a bad size with InvalidOptionError naming it, changing nothing', () => {
    const policy = bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    for (const bad of [0, 1.5, -1, Number.NaN]) {
      expect(() => policy.resize(bad)).toThrow(InvalidOptionError);
      expect(() => policy.resize(bad)).toThrow(/maxConcurrent/);
    }
    expect(() => policy.resize(3, -1)).toThrow(/maxQueue/);
    expect(policy.maxConcurrent).toBe(2);
    expect(policy.maxQueue).toBe(1);
    policy.resize(Number.POSITIVE_INFINITY);
    expect(policy.maxConcurrent).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('bulkhead.resize properties', () => {
  it('never runs more than the size once drained; no caller lost or admitted twice', async () => {
    type Step =
      | { kind: 'call'; duration: number }
      | { kind: 'resize'; size: number }
      | { kind: 'wait'; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), duration: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant('resize' as const), size: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 20 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(step, { maxLength: 60 }),
        async (size, steps) => {
          const clock = new VirtualClock();
          const policy = bulkhead({ maxConcurrent: size, maxQueue: Number.POSITIVE_INFINITY, clock });
          let running = 0;
          /** The most that may run: the size, or more while the excess of a shrink drains. */
          let allowed = size;
          const admitted = new Map<number, number>();
          const calls: Promise<unknown>[] = [];
          const caught = (error: unknown) => error;
          const check = (settled = true) => {
            // Inside a function, a slot whose function just returned may not be released yet.
            if (settled) expect(running).toBe(policy.executing);
            else expect(running).toBeLessThanOrEqual(policy.executing);
            expect(running).toBeLessThanOrEqual(allowed);
            // Drained below the size: from now on the size holds.
            if (running <= policy.maxConcurrent) allowed = policy.maxConcurrent;
            // Never a free slot while someone waits. Inside a function, callers admitted together may not have
            // started yet: count the slots taken, not the functions running.
            if (policy.queued > 0) {
              expect(settled ? running : policy.executing).toBeGreaterThanOrEqual(policy.maxConcurrent);
            }
          };
          for (const [id, s] of steps.entries()) {
            if (s.kind === 'call') {
              calls.push(
                policy
                  .execute(async () => {
                    admitted.set(id, (admitted.get(id) ?? 0) + 1);
                    running++;
                    check(false);
                    await new Promise<void>((resolve) => clock.setTimer(resolve, s.duration));
                    running--;
                  })
                  .catch(caught),
              );
            } else if (s.kind === 'resize') {
              policy.resize(s.size);
              if (s.size > allowed) allowed = s.size;
              if (running <= s.size) allowed = s.size;
            } else {
              await clock.advance(s.ms);
            }
            await flushMicrotasks();
            check();
          }
          await clock.runAll();
          // A failed check inside a function comes back as its outcome.
          for (const outcome of await Promise.all(calls)) expect(outcome).toBeUndefined();
          expect(policy.executing).toBe(0);
          expect(policy.queued).toBe(0);
          const callIds = steps.flatMap((s, id) => (s.kind === 'call' ? [id] : []));
          expect([...admitted.keys()].sort((a, b) => a - b)).toEqual(callIds);
          for (const count of admitted.values()) expect(count).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
