/**
 * What the limiter asks of its store when an admission is corrected or the limits change, and what it does when
 * the store fails or answers later: a correction that changes nothing costs no store call, a failed one reaches
 * its caller (never as a throw), a give-back is best effort, and waiters are projected again once the store has
 * converted its usage to new limits, or failed to.
 */
import { describe, expect, it } from 'vitest';
import {
  MemoryRateLimitStore,
  type RateLimitStore,
  rateLimit,
  smooth,
  tokenBucket,
  withCost,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

/** The memory store, counting its adjusts, with hooks in front of some operations. */
function countingStore(memory: MemoryRateLimitStore, hooks: Partial<RateLimitStore> = {}) {
  const store = {
    adjusts: 0,
    acquire: hooks.acquire ?? ((r) => memory.acquire(r)),
    adjust: (r) => {
      store.adjusts++;
      return hooks.adjust ? hooks.adjust(r) : memory.adjust(r);
    },
    pause: hooks.pause ?? ((r) => memory.pause(r)),
    read: hooks.read ?? ((r) => memory.read(r)),
    relimit: hooks.relimit ?? ((r) => memory.relimit(r)),
  } satisfies RateLimitStore & { adjusts: number };
  return store;
}

describe('corrections and the store', () => {
  it('a reconcile to the cost admitted asks nothing of the store', async () => {
    const memory = new MemoryRateLimitStore();
    const store = countingStore(memory);
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }), store, clock: new VirtualClock() });
    const task = withCost(() => 'x', 3);
    await policy.execute(task);
    await task.reconcile(3);
    expect(store.adjusts).toBe(0);
    await policy.execute(task);
    await task.reconcile(2);
    expect(store.adjusts).toBe(1);
  });

  it('a store failing a correction rejects the reconcile with its error, never throws', async () => {
    const memory = new MemoryRateLimitStore();
    const failure = new Error('adjust failed');
    const store = countingStore(memory, {
      adjust: () => {
        throw failure;
      },
    });
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }), store, clock: new VirtualClock() });
    const task = withCost(() => 'x', 3);
    await policy.execute(task);
    let pending: Promise<void> | undefined;
    expect(() => {
      pending = task.reconcile(1);
    }).not.toThrow();
    await expect(pending).rejects.toBe(failure);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('adjust failed');
      },
    ],
    ['rejects', () => Promise.reject(new Error('adjust failed'))],
  ])(
    'a caller who leaves once admitted still gets its reason when the store %s the give-back',
    async (_, adjust) => {
      const clock = new VirtualClock();
      const memory = new MemoryRateLimitStore();
      const controller = new AbortController();
      const store = countingStore(memory, {
        adjust,
        acquire: (r) => {
          const result = memory.acquire(r);
          // Leaves right after the store admitted it, before it could start.
          if (r.now === 1000 && result.admitted) queueMicrotask(() => controller.abort('left'));
          return result;
        },
      });
      const policy = rateLimit({ limits: smooth({ rate: 1 }), store, clock });
      await policy.execute(() => 'first');
      let ran = false;
      const leaving = policy
        .execute(
          () => {
            ran = true;
          },
          { signal: controller.signal },
        )
        .catch((e: unknown) => e);
      await clock.advance(1000);
      expect(await leaving).toBe('left');
      await flushMicrotasks();
      expect(ran).toBe(false);
      expect(store.adjusts).toBe(1);
      // The give-back failed: its unit stays used until 2000.
      const next = policy.execute(() => clock.now());
      await clock.runAll();
      await expect(next).resolves.toBe(2000);
    },
  );
});

describe('setLimits and the store', () => {
  /** Three calls on a bucket of 1 per second, then setLimits to 10 per second at once. */
  async function relimited(relimitOf: (memory: MemoryRateLimitStore) => RateLimitStore['relimit']) {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    const store = countingStore(memory, { relimit: relimitOf(memory) });
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 1 }), store, clock });
    const ran: number[] = [];
    const runs = [0, 1, 2].map(() => policy.execute(() => ran.push(clock.now())));
    await flushMicrotasks();
    expect(() => policy.setLimits(tokenBucket({ rate: 10, capacity: 1 }))).not.toThrow();
    return { clock, policy, ran, runs };
  }

  it('projects the waiters again once an asynchronous store has converted its usage', async () => {
    const converted = deferred();
    const { clock, ran, runs } = await relimited(
      (memory) => (r) => converted.promise.then(() => memory.relimit(r)),
    );
    await clock.advance(50);
    expect(ran).toEqual([0]);
    converted.resolve();
    await clock.runAll();
    await Promise.all(runs);
    // The first call's backlog, converted at 0 to the new rate, drains by 100: then one every 100 ms.
    expect(ran).toEqual([0, 100, 200]);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('relimit failed');
      },
    ],
    ['rejects', () => Promise.reject(new Error('relimit failed'))],
  ])('projects the waiters again at the new pace when the store %s the conversion', async (_, relimit) => {
    const { clock, ran, runs, policy } = await relimited(() => relimit);
    await clock.runAll();
    await Promise.all(runs);
    // Unconverted, the first call's backlog keeps its time to drain (1000); then the new pace.
    expect(ran).toEqual([0, 1000, 1100]);
    expect(policy.waiting()).toBe(0);
  });
});
