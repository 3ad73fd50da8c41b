/**
 * Waiting callers when the store does not answer as projected: it fails, answers later, or denies what its own
 * reading admits. Each waiter still gets one clear outcome, in order, and nothing is left behind.
 */
import { describe, expect, it } from 'vitest';
import {
  MemoryRateLimitStore,
  type RateLimitStore,
  rateLimit,
  slidingWindow,
  smooth,
  tokenBucket,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

/** The memory store with hooks in front of each operation. */
function hookedStore(memory: MemoryRateLimitStore, hooks: Partial<RateLimitStore>): RateLimitStore {
  return {
    acquire: hooks.acquire ?? ((r) => memory.acquire(r)),
    adjust: hooks.adjust ?? ((r) => memory.adjust(r)),
    pause: hooks.pause ?? ((r) => memory.pause(r)),
    read: hooks.read ?? ((r) => memory.read(r)),
  };
}

describe('waiting callers and a failing store', () => {
  it('a store failure when the head is due fails that caller only; the next is admitted on time', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    let failAt: number | undefined;
    const store = hookedStore(memory, {
      acquire: (r) => {
        if (r.now === failAt) {
          failAt = undefined;
          throw new Error('store down');
        }
        return memory.acquire(r);
      },
    });
    const policy = rateLimit({ limits: smooth({ rate: 1 }), store, clock });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e));
    await policy.execute(() => 'first');
    const second = policy.execute(() => clock.now()).catch((e: unknown) => e);
    const third = policy.execute(() => clock.now());
    failAt = 1000;
    await clock.runAll();
    expect(await second).toEqual(new Error('store down'));
    // The failed call took nothing: the third takes its place at 1000.
    await expect(third).resolves.toBe(1000);
    expect(failures).toEqual([{ policy: 'rateLimit', error: new Error('store down'), duration: 1000 }]);
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an asynchronous store rejecting the head’s admission fails that caller only', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    let failing = false;
    const store = hookedStore(memory, {
      acquire: (r) =>
        failing ? Promise.reject(new Error('network')) : Promise.resolve().then(() => memory.acquire(r)),
      read: (r) => Promise.resolve().then(() => memory.read(r)),
    });
    const policy = rateLimit({ limits: smooth({ rate: 1 }), store, clock });
    await policy.execute(() => 'first');
    const second = policy.execute(() => clock.now()).catch((e: unknown) => e);
    await flushMicrotasks();
    expect(policy.waiting()).toBe(1);
    failing = true;
    await clock.advance(1000);
    expect(await second).toEqual(new Error('network'));
    failing = false;
    expect(policy.waiting()).toBe(0);
    // Nothing was taken: the next call is admitted at once.
    await expect(policy.execute(() => clock.now())).resolves.toBe(1000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an asynchronous read that fails fails every caller waiting for the key, and the limiter stops reading', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    let reads = 0;
    let down = true;
    // Down, its reads fail (at most ten of them, so that a limiter that kept reading would stop at the eleventh).
    const store = hookedStore(memory, {
      read: (r) => {
        reads++;
        return down && reads <= 10
          ? Promise.reject(new Error('read failed'))
          : Promise.resolve(memory.read(r));
      },
    });
    const policy = rateLimit({ limits: smooth({ rate: 1 }), store, clock });
    await policy.execute(() => 'first');
    const waiting = [policy.execute(() => 'a'), policy.execute(() => 'b')].map((p) =>
      p.catch((e: unknown) => e),
    );
    expect(await Promise.all(waiting)).toEqual([new Error('read failed'), new Error('read failed')]);
    await flushMicrotasks();
    expect(reads).toBe(1);
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    // Up again, the next caller waits as usual.
    down = false;
    const next = policy.execute(() => clock.now());
    await clock.runAll();
    await expect(next).resolves.toBe(1000);
    expect(reads).toBe(2);
  });

  it('a caller who leaves while an asynchronous store admits it gives the usage back', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    const held = deferred();
    let hold = false;
    const store = hookedStore(memory, {
      acquire: (r) => {
        const result = memory.acquire(r);
        return hold ? held.promise.then(() => result) : result;
      },
    });
    const policy = rateLimit({ limits: smooth({ rate: 1 }), store, clock });
    await policy.execute(() => 'first');
    const controller = new AbortController();
    let ran = false;
    const leaving = policy
      .execute(
        () => {
          ran = true;
        },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    hold = true;
    await clock.advance(1000); // the store admits it at 1000, but answers only later
    hold = false;
    controller.abort('left');
    expect(await leaving).toBe('left');
    held.resolve();
    await flushMicrotasks();
    expect(ran).toBe(false);
    // Its unit went back: the next call passes at once, not at 2000.
    await expect(policy.execute(() => clock.now())).resolves.toBe(1000);
  });

  it('a store that denies what its own reading admits is asked again a millisecond later, never in a loop', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    let acquires = 0;
    // Its reading forgets the usage: the projection admits the waiter at once, the store itself at 200.
    const store = hookedStore(memory, {
      acquire: (r) => {
        acquires++;
        return memory.acquire(r);
      },
      read: ({ now }) => ({ state: undefined, now }),
    });
    const policy = rateLimit({ limits: tokenBucket({ rate: 5, capacity: 1 }), store, clock });
    await policy.execute(() => 'first');
    const second = policy.execute(() => clock.now());
    await clock.runAll();
    await expect(second).resolves.toBe(200);
    // The first call's, then the second's on arrival and on joining the line at 0, then one per millisecond
    // from 1 to 200.
    expect(acquires).toBe(203);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('waiting per key', () => {
  it('counts the callers waiting for one key, for a key nobody waits for, and in total', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: slidingWindow({ limit: 1, window: 1000 }), clock });
    const runs = ['a', 'a', 'a', 'b', 'b'].map((key) => policy.execute(() => key, { key }));
    expect(policy.waiting('a')).toBe(2);
    expect(policy.waiting('b')).toBe(1);
    expect(policy.waiting('c')).toBe(0);
    expect(policy.waiting()).toBe(3);
    await clock.runAll();
    expect(await Promise.all(runs)).toEqual(['a', 'a', 'a', 'b', 'b']);
    expect(policy.waiting()).toBe(0);
  });
});
