/**
 * A caller who leaves while an asynchronous store decides its first admission: refused, it is not queued (it
 * fails at once with its reason); admitted, it does not run and its usage goes back.
 */
import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore, type RateLimitStore, rateLimit, smooth } from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

/** The memory store answering acquires only when `release` is called. */
function heldStore(memory: MemoryRateLimitStore) {
  let gate = deferred();
  const store: RateLimitStore = {
    acquire: (r) => {
      const result = memory.acquire(r);
      return gate.promise.then(() => result);
    },
    adjust: (r) => memory.adjust(r),
    pause: (r) => memory.pause(r),
    read: (r) => memory.read(r),
  };
  return {
    store,
    release() {
      gate.resolve();
      gate = deferred();
    },
  };
}

describe('a caller leaving while an asynchronous store answers', () => {
  it('refused by the store, it fails at once with its reason and never waits', async () => {
    const clock = new VirtualClock();
    const held = heldStore(new MemoryRateLimitStore());
    const policy = rateLimit({ limits: smooth({ rate: 1 }), store: held.store, clock });
    const first = policy.execute(() => 'first');
    held.release();
    await first;
    const controller = new AbortController();
    let failedAt: number | undefined;
    const leaving = policy
      .execute(() => 'never', { signal: controller.signal })
      .catch((e: unknown) => {
        failedAt = clock.now();
        return e;
      });
    controller.abort('left');
    held.release(); // refused: 1000 ms to wait
    expect(await leaving).toBe('left');
    expect(failedAt).toBe(0);
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('admitted by the store, it does not run and gives the usage back', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    const held = heldStore(memory);
    const policy = rateLimit({ limits: smooth({ rate: 1 }), store: held.store, clock });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e));
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
    controller.abort('left');
    held.release(); // admitted at 0
    expect(await leaving).toBe('left');
    await flushMicrotasks();
    expect(ran).toBe(false);
    expect(failures).toEqual([{ policy: 'rateLimit', error: 'left', duration: 0 }]);
    // Its unit went back: admitted at once.
    const next = policy.execute(() => clock.now());
    held.release();
    await expect(next).resolves.toBe(0);
  });
});
