/**
 * When the limits change under waiting callers or stored keys (a pause, a correction, setLimits), the limiter
 * projects them again: each waiter is told its wait once, and keys that now rest sooner are dropped sooner.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, rateLimit, smooth, tokenBucket, withCost } from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';

describe('waiters projected again', () => {
  it('are told their wait once, however often they are projected again', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 10 }), maxWait: Infinity, clock });
    const queued: unknown[] = [];
    policy.on('queued', (e) => queued.push(e));
    const task = withCost(() => 'estimated', 1);
    await policy.execute(task);
    const waiters = [1, 2].map(() => policy.execute(() => clock.now()));
    await policy.pause(300);
    await task.reconcile(3);
    policy.setLimits(smooth({ rate: 20 }));
    await flushMicrotasks();
    expect(queued).toEqual([
      { policy: 'rateLimit', delay: 100, position: 0, key: undefined },
      { policy: 'rateLimit', delay: 200, position: 1, key: undefined },
    ]);
    await clock.runAll();
    // The pause (300) decides the first; the second follows at the new pace.
    expect(await Promise.all(waiters)).toEqual([300, 350]);
  });
});

describe('keys projected again in the memory store', () => {
  it('drops sooner the keys that a faster rate brings to rest sooner', async () => {
    const clock = new VirtualClock();
    const store = memoryStore({ maxKeys: 2 });
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 1 }), store, mode: 'reject', clock });
    await policy.execute(() => 'a', { key: 'a' });
    await policy.execute(() => 'b', { key: 'b' });
    await clock.advance(10);
    await policy.execute(() => 'c', { key: 'c' }); // a and b still busy (until 1000): 3 keys
    expect(store.size(policy.scope)).toBe(3);
    await clock.advance(10);
    // Ten times faster: a, b and c are at rest by 120.
    policy.setLimits(tokenBucket({ rate: 10, capacity: 1 }));
    await clock.advance(180);
    await policy.execute(() => 'd', { key: 'd' });
    expect(store.size(policy.scope)).toBeLessThanOrEqual(2);
  });
});
