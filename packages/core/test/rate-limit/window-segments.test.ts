/**
 * A sliding window counts usage per segment in a ring of `segments + 1` slots. These pin what the ring must not
 * change: the wait when usage spans the whole ring, corrections in the admission's own segment wherever the ring
 * has wrapped, nothing corrected once it left the window, and no usage forgotten when the caller's clock steps back
 * (Date.now under NTP) or when the store makes room for new keys.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, rateLimit, slidingWindow, withCost } from '../../src/index.js';
import type { RateLimitScope, WindowState } from '../../src/store.js';
import { VirtualClock } from '../../src/testing.js';

/** A rejecting limiter on one window, on a virtual clock. */
function windowLimiter(limit: number, segments: number, window = 1000) {
  const clock = new VirtualClock();
  const policy = rateLimit({ limits: slidingWindow({ limit, window, segments }), mode: 'reject', clock });
  return { clock, policy };
}

describe('sliding window: usage over the whole ring', () => {
  it('waits for the oldest use still counted, or for the newest when the oldest frees too little', async () => {
    // Segments of 250 ms: at 1100 the use at 200 sits in the ring's oldest slot, still counted until 1200.
    const { clock, policy } = windowLimiter(2, 4);
    await clock.advance(200);
    await policy.execute(() => 'a');
    await clock.advance(900);
    await policy.execute(() => 'b');
    await expect(policy.execute(() => 'c')).rejects.toMatchObject({ retryAfterMs: 100 });
    await expect(policy.execute(() => 'd', { cost: 2 })).rejects.toMatchObject({ retryAfterMs: 1000 });
    await clock.advance(100);
    await expect(policy.execute(() => 'e')).resolves.toBe('e');
  });
});

describe('sliding window: corrections', () => {
  it('gives a refund back in the admission’s own segment, not the oldest one', async () => {
    const { clock, policy } = windowLimiter(10, 10);
    await policy.execute(() => 'a', { cost: 5 });
    await clock.advance(500);
    const b = withCost(() => 'b', 5);
    await policy.execute(b);
    await b.reconcile(1); // 4 back in the segment of 500
    await policy.execute(() => 'c', { cost: 4 });
    // Full: the 5 units of 0 leave at 1000, enough for 1.
    await expect(policy.execute(() => 'd')).rejects.toMatchObject({ retryAfterMs: 500 });
    await clock.advance(500);
    await expect(policy.execute(() => 'e', { cost: 5 })).resolves.toBe('e');
    await expect(policy.execute(() => 'f')).rejects.toMatchObject({ retryAfterMs: 500 });
  });

  it('finds the admission’s segment after the ring wrapped around', async () => {
    // Segments of 500 ms in a ring of 3 slots.
    const { clock, policy } = windowLimiter(4, 2);
    await policy.execute(() => 'a'); // segment 0, slot 0
    await clock.advance(999);
    const b = withCost(() => 'b', 3); // segment 1, slot 1
    await policy.execute(b);
    await clock.advance(501); // segment 3: the ring wrapped, its newest slot is 0 again
    await b.refund(); // b still counts until 1999: its 3 come back
    await expect(policy.execute(() => 'c', { cost: 4 })).resolves.toBe('c');
    await expect(policy.execute(() => 'd')).rejects.toMatchObject({ retryAfterMs: 1000 });
  });

  it('corrects a use in the ring’s oldest segment while it still counts', async () => {
    const { clock, policy } = windowLimiter(2, 2);
    await clock.advance(400);
    const a = withCost(() => 'a', 2); // segment 0, counted until 1400
    await policy.execute(a);
    await clock.advance(700); // segment 2: segment 0 is the oldest in the ring
    await a.refund();
    await expect(policy.execute(() => 'b', { cost: 2 })).resolves.toBe('b');
  });

  it('corrects nothing once the admission left the window, even where its slot holds newer usage', async () => {
    const { clock, policy } = windowLimiter(2, 2);
    const a = withCost(() => 'a', 2);
    await policy.execute(a);
    await clock.advance(1500); // segment 3: segment 0's slot now holds segment 3
    await policy.execute(() => 'b', { cost: 2 });
    await a.refund();
    await expect(policy.execute(() => 'c')).rejects.toMatchObject({ retryAfterMs: 1000 });
    await a.reconcile(5); // a charge is not recorded either: it would count past the admission's window
    await clock.advance(1000);
    await expect(policy.execute(() => 'd', { cost: 2 })).resolves.toBe('d');
  });
});

describe('sliding window in the memory store', () => {
  const limits = [slidingWindow({ limit: 2, window: 1000, segments: 2 })];

  it('never gives back more of an admission than it took, however often it is refunded', () => {
    const store = memoryStore();
    const scope: RateLimitScope = { id: 'double-refund', limits };
    const marks: number[] = [];
    expect(store.acquire({ scope, key: '', costs: [2], now: 0, marks })).toEqual({ admitted: true });
    const admission = { at: 0, costs: [2], marks };
    store.adjust({ scope, key: '', deltas: [-2], admission, now: 0 });
    store.adjust({ scope, key: '', deltas: [-2], admission, now: 0 });
    expect(store.acquire({ scope, key: '', costs: [2], now: 0 })).toEqual({ admitted: true });
    expect(store.acquire({ scope, key: '', costs: [1], now: 0 })).toMatchObject({
      admitted: false,
      retryAfterMs: 1000,
    });
  });

  it('answers never (Infinity) for a cost above the limit, whatever the usage in the ring', () => {
    const store = memoryStore();
    const scope: RateLimitScope = {
      id: 'too-big',
      limits: [slidingWindow({ limit: 2, window: 1000, segments: 4 })],
    };
    expect(store.acquire({ scope, key: '', costs: [1], now: 200 })).toEqual({ admitted: true });
    expect(store.acquire({ scope, key: '', costs: [1], now: 1100 })).toEqual({ admitted: true });
    expect(store.acquire({ scope, key: '', costs: [3], now: 1100 })).toEqual({
      admitted: false,
      retryAfterMs: Number.POSITIVE_INFINITY,
      limit: 0,
    });
  });

  it('forgets no usage when the caller’s clock steps back, and none when it goes on', () => {
    const store = memoryStore();
    const scope: RateLimitScope = {
      id: 'step-back',
      limits: [slidingWindow({ limit: 3, window: 1000, segments: 2 })],
    };
    const acquire = (now: number) => store.acquire({ scope, key: '', costs: [1], now });
    expect(acquire(400)).toEqual({ admitted: true }); // counted until 1400
    expect(acquire(1100)).toEqual({ admitted: true }); // until 2100
    expect(acquire(600)).toEqual({ admitted: true }); // the clock stepped back: counted with 1100's, until 2100
    expect(acquire(1200)).toEqual({ admitted: false, retryAfterMs: 200, limit: 0 });
    expect(acquire(1700)).toEqual({ admitted: true });
    expect(acquire(1700)).toEqual({ admitted: false, retryAfterMs: 400, limit: 0 });
  });

  it('keeps a state of segments + 1 slots after a long idle spell', () => {
    const store = memoryStore();
    const scope: RateLimitScope = { id: 'shape', limits };
    store.acquire({ scope, key: '', costs: [1], now: 0 });
    store.acquire({ scope, key: '', costs: [1], now: 60_000 });
    const state = store.read({ scope, key: '', now: 60_000 }).state!.limits[0] as WindowState;
    expect(state.counts).toHaveLength(3);
    expect(state.lasts).toHaveLength(3);
    expect(state.total).toBe(1);
  });

  it('keeps a key whose latest use still counts when it makes room for new keys', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: slidingWindow({ limit: 2, window: 1000 }),
      store: memoryStore({ maxKeys: 1 }),
      mode: 'reject',
      clock,
    });
    await policy.execute(() => 1, { key: 'a' });
    await clock.advance(500);
    await policy.execute(() => 2, { key: 'a' }); // a counts until 1500
    await clock.advance(700);
    await policy.execute(() => 3, { key: 'b' }); // room is made for b: a stays
    await expect(policy.execute(() => 4, { key: 'a', cost: 2 })).rejects.toMatchObject({ retryAfterMs: 300 });
  });
});
