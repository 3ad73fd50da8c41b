/**
 * Edges of one admission decision: a limit a call takes nothing from never holds it back, a use is released a
 * window later give or take float noise, corrections that are no numbers change nothing, and a key paused on its
 * own is kept while the store makes room for others.
 */
import { describe, expect, it } from 'vitest';
import { memoryStore, rateLimit, slidingWindow, tokenBucket, withCost } from '../../src/index.js';
import type { RateLimitScope } from '../../src/store.js';
import { VirtualClock } from '../../src/testing.js';

describe('a limit a call takes nothing from', () => {
  it.each([
    ['token bucket', tokenBucket({ rate: 10, capacity: 10, unit: 'tokens', name: 'tokens' })],
    ['sliding window', slidingWindow({ limit: 10, window: 1000, unit: 'tokens', name: 'tokens' })],
  ])('never holds it back, even when charged past its capacity (%s)', async (_, tokens) => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: [slidingWindow({ limit: 5, window: 1000, unit: 'calls', name: 'calls' }), tokens],
      mode: 'reject',
      clock,
    });
    const task = withCost(() => 'big', { tokens: 10 });
    await policy.execute(task);
    await task.reconcile({ tokens: 30 }); // the server counted 30: 20 more than the limit holds
    await expect(policy.execute(() => 'x', { cost: { tokens: 1 } })).rejects.toMatchObject({
      limit: 'tokens',
    });
    await expect(policy.execute(() => 'free', { cost: { tokens: 0 } })).resolves.toBe('free');
  });

  it('never delays a waiter, even when charged past its capacity', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: [
        slidingWindow({ limit: 1, window: 1000, unit: 'calls' }),
        tokenBucket({ rate: 10, capacity: 10, unit: 'tokens' }),
      ],
      clock,
    });
    const task = withCost(() => 'big', { tokens: 10 });
    await policy.execute(task);
    await task.reconcile({ tokens: 30 }); // tokens used up until 3000
    // Waits for the calls limit only (1000), not for the tokens it does not take.
    const free = policy.execute(() => clock.now(), { cost: { tokens: 0 } });
    await clock.runAll();
    await expect(free).resolves.toBe(1000);
  });
});

describe('the memory store at the edges of time and numbers', () => {
  it('releases a use one window later, give or take float noise, and records the admission then', () => {
    const store = memoryStore();
    const scope: RateLimitScope = {
      id: 'noise',
      limits: [slidingWindow({ limit: 1, window: 1000, segments: 1 })],
    };
    expect(store.acquire({ scope, key: '', costs: [1], now: 0 })).toEqual({ admitted: true });
    // One ulp before 1000: the use at 0 still counts by float arithmetic, but less than TIME_EPSILON remains.
    const almost = 999.9999999999999;
    expect(almost).toBeLessThan(1000);
    expect(store.acquire({ scope, key: '', costs: [1], now: almost })).toEqual({ admitted: true });
    const again = store.acquire({ scope, key: '', costs: [1], now: almost });
    expect(again).toMatchObject({ admitted: false, limit: 0 });
    expect((again as { retryAfterMs: number }).retryAfterMs).toBeCloseTo(1000, 6);
  });

  it('ignores a correction that is no finite number', () => {
    const store = memoryStore();
    const limits = [tokenBucket({ rate: 10, capacity: 2 }), slidingWindow({ limit: 3, window: 1000 })];
    const scope: RateLimitScope = { id: 'finite', limits };
    const marks: number[] = [];
    expect(store.acquire({ scope, key: '', costs: [1, 1], now: 0, marks })).toEqual({ admitted: true });
    const admission = { at: 0, costs: [1, 1], marks };
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      store.adjust({ scope, key: '', deltas: [bad, bad], admission, now: 0 });
    }
    expect(store.acquire({ scope, key: '', costs: [1, 1], now: 0 })).toEqual({ admitted: true });
    expect(store.acquire({ scope, key: '', costs: [1, 1], now: 0 })).toEqual({
      admitted: false,
      retryAfterMs: 100,
      limit: 0,
    });
  });

  it('records a charge on a key it has forgotten, and gives nothing back on it', () => {
    const store = memoryStore({ maxKeys: 1 });
    const scope: RateLimitScope = { id: 'forgotten', limits: [tokenBucket({ rate: 10, capacity: 1 })] };
    const marks: number[] = [];
    expect(store.acquire({ scope, key: 'a', costs: [1], now: 0, marks })).toEqual({ admitted: true });
    expect(store.acquire({ scope, key: 'b', costs: [1], now: 1000 })).toEqual({ admitted: true });
    expect(store.keys(scope)).toEqual(['b']); // a was at rest (since 100): dropped to make room
    const admission = { at: 0, costs: [1], marks };
    store.adjust({ scope, key: 'a', deltas: [-1], admission, now: 1000 });
    expect(store.keys(scope)).toEqual(['b']);
    store.adjust({ scope, key: 'a', deltas: [1], admission, now: 1000 });
    expect(store.acquire({ scope, key: 'a', costs: [1], now: 1000 })).toEqual({
      admitted: false,
      retryAfterMs: 100,
      limit: 0,
    });
  });

  it('keeps a key paused on its own while it makes room for new keys', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 10 }),
      store: memoryStore({ maxKeys: 1 }),
      mode: 'reject',
      clock,
    });
    await policy.pause(5000, { key: 'a' });
    await clock.advance(1000);
    await policy.execute(() => 'b', { key: 'b' });
    await policy.execute(() => 'c', { key: 'c' });
    await expect(policy.execute(() => 'a', { key: 'a' })).rejects.toMatchObject({
      limit: 'paused',
      retryAfterMs: 4000,
    });
  });
});
