import { describe, expect, it } from 'vitest';
import {
  MemoryRateLimitStore,
  memoryStore,
  type RateLimitStore,
  rateLimit,
  slidingWindow,
  smooth,
  tokenBucket,
  withCost,
} from '../../src/index.js';
import { type KeyState, rateLimitAlgorithms } from '../../src/store.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';

/** The in-memory store behind promises, as a networked store (Redis) would answer. */
function asyncStore(memory = new MemoryRateLimitStore()): RateLimitStore & { calls: number } {
  const store = {
    calls: 0,
    acquire: (...args: Parameters<MemoryRateLimitStore['acquire']>) => {
      store.calls++;
      return Promise.resolve().then(() => memory.acquire(...args));
    },
    adjust: (...args: Parameters<MemoryRateLimitStore['adjust']>) =>
      Promise.resolve().then(() => memory.adjust(...args)),
    pause: (...args: Parameters<MemoryRateLimitStore['pause']>) =>
      Promise.resolve().then(() => memory.pause(...args)),
    read: (...args: Parameters<MemoryRateLimitStore['read']>) =>
      Promise.resolve().then(() => memory.read(...args)),
  };
  return store;
}

describe('keyed limits', () => {
  it('keeps separate usage per key, from a key function or per call', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 1, capacity: 1 }),
      key: (context) => (context.attempt === 0 ? 'first' : 'retry'),
      mode: 'reject',
      clock,
    });
    const rejected: unknown[] = [];
    policy.on('rejected', (event) => rejected.push(event));
    await policy.execute(() => 1);
    const error = await policy.execute(() => 2).catch((e: unknown) => e);
    expect(error).toMatchObject({ key: 'first', retryAfterMs: 1000 });
    expect(rejected).toEqual([
      { policy: 'rateLimit', reason: 'rateLimited', retryAfterMs: 1000, key: 'first' },
    ]);
    // A per-call key wins over the key function.
    await expect(policy.execute(() => 3, { key: 'tenant-a' })).resolves.toBe(3);
    await expect(policy.execute(withCost(() => 4, undefined, { key: 'tenant-b' }))).resolves.toBe(4);
    await expect(policy.execute(() => 5, { key: 'tenant-a' })).rejects.toMatchObject({ key: 'tenant-a' });
  });

  it('does not hold one key’s callers behind another key’s queue', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 1 }), clock });
    const slow = [0, 1, 2].map(() => policy.execute(() => clock.now(), { key: 'busy' }));
    expect(policy.waiting('busy')).toBe(2);
    await expect(policy.execute(() => clock.now(), { key: 'idle' })).resolves.toBe(0);
    const queued: unknown[] = [];
    policy.on('queued', (e) => queued.push(e));
    const again = policy.execute(() => clock.now(), { key: 'idle' });
    expect(queued).toEqual([{ policy: 'rateLimit', delay: 1000, position: 0, key: 'idle' }]);
    await clock.runAll();
    expect(await Promise.all(slow)).toEqual([0, 1000, 2000]);
    expect(await again).toBe(1000);
  });

  it('keeps memory bounded: keys whose usage expired are dropped as new keys arrive', async () => {
    const clock = new VirtualClock();
    const store = memoryStore();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 10, capacity: 1 }),
      mode: 'reject',
      store,
      clock,
    });
    let peak = 0;
    // 20 000 keys over 20 s, 100 new keys every 100 ms; each key is at rest 100 ms after its call.
    for (let batch = 0; batch < 200; batch++) {
      for (let i = 0; i < 100; i++) await policy.execute(() => 1, { key: `tenant-${batch}-${i}` });
      peak = Math.max(peak, store.size(policy.scope));
      await clock.advance(100);
    }
    expect(peak).toBeLessThanOrEqual(1024 + 100);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never forgets the usage of a busy key while under maxKeys', async () => {
    const clock = new VirtualClock();
    const store = memoryStore({ maxKeys: 5000 });
    const policy = rateLimit({
      limits: slidingWindow({ limit: 1, window: 86_400_000 }),
      mode: 'reject',
      store,
      clock,
    });
    for (let i = 0; i < 3000; i++) await policy.execute(() => 1, { key: `k${i}` });
    await clock.advance(3_600_000);
    for (let i = 0; i < 3000; i++) {
      await expect(policy.execute(() => 1, { key: `k${i}` })).rejects.toMatchObject({
        retryAfterMs: 82_800_000,
      });
    }
  });

  it('never forgets a busy key, even past maxKeys: the store holds them all and shrinks back once they rest', async () => {
    const clock = new VirtualClock();
    const store = memoryStore({ maxKeys: 100 });
    const policy = rateLimit({
      limits: slidingWindow({ limit: 1, window: 60_000 }),
      mode: 'reject',
      store,
      clock,
    });
    for (let i = 0; i < 500; i++) {
      await policy.execute(() => 1, { key: `k${i}` });
      await clock.advance(1);
    }
    expect(store.size(policy.scope)).toBe(500);
    // Forgetting any of them would let a second call through within the minute.
    for (let i = 0; i < 500; i++) {
      await expect(policy.execute(() => 1, { key: `k${i}` })).rejects.toMatchObject({
        name: 'RateLimitedError',
        key: `k${i}`,
      });
    }
    await clock.advance(60_000);
    // Every key is at rest now: new keys make room down to maxKeys.
    await policy.execute(() => 1, { key: 'fresh' });
    expect(store.size(policy.scope)).toBeLessThanOrEqual(100);
    await expect(policy.execute(() => 1, { key: 'k0' })).resolves.toBe(1);
  });

  it('validates maxKeys', () => {
    expect(() => memoryStore({ maxKeys: 0 })).toThrow(expect.objectContaining({ option: 'maxKeys' }));
  });
});

describe('stores', () => {
  it('lets limiters with the same limits share usage through one store', async () => {
    const clock = new VirtualClock();
    const store = memoryStore();
    const a = rateLimit({
      limits: tokenBucket({ rate: 2, capacity: 2, name: 'a' }),
      mode: 'reject',
      store,
      clock,
    });
    const b = rateLimit({
      limits: tokenBucket({ rate: 2, capacity: 2, name: 'b' }),
      mode: 'reject',
      store,
      clock,
    });
    const other = rateLimit({ limits: tokenBucket({ rate: 3, capacity: 3 }), mode: 'reject', store, clock });
    await a.execute(() => 1);
    await b.execute(() => 2);
    await expect(a.execute(() => 3)).rejects.toMatchObject({ name: 'RateLimitedError' });
    // Different limits: separate usage in the same store.
    await expect(other.execute(() => 4)).resolves.toBe(4);
  });

  it('keeps states JSON-serialisable and applies the algorithms through rateLimitAlgorithms', () => {
    const limits = [tokenBucket({ rate: 10, capacity: 2 }), slidingWindow({ limit: 3, window: 1000 })];
    const state: KeyState = JSON.parse(JSON.stringify(rateLimitAlgorithms.freshState(limits, 0)));
    const costs = [1, 1];
    const marks: number[] = [];
    expect(rateLimitAlgorithms.fitAll(limits, state, costs, 0)).toBe(0);
    rateLimitAlgorithms.consumeAll(limits, state, costs, 0, marks);
    rateLimitAlgorithms.consumeAll(limits, state, costs, 0, marks);
    const copy: KeyState = JSON.parse(JSON.stringify(state));
    const blocker = { limit: -2 };
    expect(rateLimitAlgorithms.fitAll(limits, copy, costs, 0, blocker)).toBe(100);
    expect(blocker.limit).toBe(0);
    expect(rateLimitAlgorithms.restAt(limits, copy)).toBe(1000);
    expect(rateLimitAlgorithms.cloneState(copy)).toEqual(copy);
  });

  it('works the same with an asynchronous store', async () => {
    const clock = new VirtualClock();
    const store = asyncStore();
    const policy = rateLimit({ limits: tokenBucket({ rate: 2, capacity: 2 }), store, clock });
    const admitted: number[] = [];
    const runs = Array.from({ length: 5 }, () => policy.execute(() => admitted.push(clock.now())));
    await flushMicrotasks();
    await clock.runAll();
    await Promise.all(runs);
    expect(admitted).toEqual([0, 0, 500, 1000, 1500]);
    expect(clock.pendingTimers).toBe(0);
    expect(policy.waiting()).toBe(0);
  });

  it('with an asynchronous store: refuses in reject mode, pauses, reconciles and aborts', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    const store = asyncStore(memory);
    const rejecting = rateLimit({
      limits: tokenBucket({ rate: 1, capacity: 1 }),
      mode: 'reject',
      store,
      clock,
    });
    await rejecting.execute(() => 1);
    await expect(rejecting.execute(() => 2)).rejects.toMatchObject({ retryAfterMs: 1000 });

    const policy = rateLimit({ limits: tokenBucket({ rate: 10, capacity: 10 }), store, clock });
    const task = withCost(() => 'x', 10);
    await policy.execute(task);
    await task.reconcile(0);
    await expect(policy.execute(() => 'full', { cost: 10 })).resolves.toBe('full');

    await policy.pause(500);
    const controller = new AbortController();
    const aborted = policy.execute(() => 'never', { signal: controller.signal }).catch((e: unknown) => e);
    const waiting = policy.execute(() => clock.now());
    await flushMicrotasks();
    controller.abort('stop');
    expect(await aborted).toBe('stop');
    await clock.runAll();
    // The pause (500) decides, the bucket would allow 100 (10 per second, 1 token needed).
    expect(await waiting).toBe(500);
    expect(policy.waiting()).toBe(0);
  });

  it('passes a store failure on to the caller', async () => {
    const failing: RateLimitStore = {
      acquire: () => {
        throw new Error('store down');
      },
      adjust: () => {},
      pause: () => {},
      read: ({ now }) => ({ state: undefined, now }),
    };
    const policy = rateLimit({ limits: tokenBucket({ rate: 1 }), store: failing });
    await expect(policy.execute(() => 1)).rejects.toThrow('store down');

    const rejecting: RateLimitStore = {
      acquire: () => Promise.reject(new Error('network')),
      adjust: () => {},
      pause: () => {},
      read: ({ now }) => ({ state: undefined, now }),
    };
    const policy2 = rateLimit({ limits: tokenBucket({ rate: 1 }), store: rejecting });
    await expect(policy2.execute(() => 1)).rejects.toThrow('network');
  });

  it('fails waiters when the store cannot be read to project them', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    let broken = false;
    const store: RateLimitStore = {
      acquire: (...args) => memory.acquire(...args),
      adjust: (...args) => memory.adjust(...args),
      pause: (...args) => memory.pause(...args),
      read: (...args) => {
        if (broken) throw new Error('read failed');
        return memory.read(...args);
      },
    };
    const policy = rateLimit({ limits: smooth({ rate: 1 }), store, clock });
    await policy.execute(() => 1);
    broken = true;
    await expect(policy.execute(() => 2)).rejects.toThrow('read failed');
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
