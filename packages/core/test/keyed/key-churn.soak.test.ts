/**
 * Soak runs with bounded counts: 50,000 distinct keys through keyedPolicy and through rateLimit with per-call keys,
 * 2,000 of them busy at a time (more than maxKeys), on a virtual clock. At every step the registry or store holds
 * no more than its bound; at the end every call has settled and no timer or listener is left.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { circuitBreaker, keyedPolicy, memoryStore, rateLimit, slidingWindow } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

const KEYS = 50_000;
const BUSY = 2_000;
const MAX_KEYS = 1_000;

describe('soak: key churn with more busy keys than maxKeys', () => {
  it('keyedPolicy: 50,000 keys, 2,000 in flight, maxKeys 1,000, idle eviction on a virtual clock', async () => {
    const clock = new VirtualClock();
    const caller = new AbortController();
    let evicted = 0;
    let listenersLeft = 0;
    const registry = keyedPolicy((_key: string) => circuitBreaker({ clock }), {
      maxKeys: MAX_KEYS,
      idleTtl: 1_000,
      clock,
      onEvict: (policy) => {
        evicted++;
        listenersLeft += policy.events.listenerCount('success');
      },
    });
    let successes = 0;
    registry.on('success', () => successes++);
    const releases: Array<() => void> = new Array(BUSY);
    const runs: Array<Promise<number>> = new Array(BUSY);
    let settled = 0;
    let peak = 0;
    for (let i = 0; i < KEYS; i++) {
      const slot = i % BUSY;
      if (i >= BUSY) {
        releases[slot]!();
        expect(await runs[slot]).toBe(i - BUSY);
        settled++;
      }
      const gate = new Promise<number>((resolve) => {
        releases[slot] = () => resolve(i);
      });
      runs[slot] = registry.execute(`tenant-${i}`, () => gate, { signal: caller.signal });
      const inFlight = Math.min(i + 1, BUSY);
      expect(registry.size).toBeLessThanOrEqual(Math.max(MAX_KEYS, inFlight));
      peak = Math.max(peak, registry.size);
      if (i % 100 === 99) await clock.advance(10);
    }
    for (const release of releases) release();
    settled += (await Promise.all(runs)).length;
    expect(settled).toBe(KEYS);
    expect(registry.size).toBeLessThanOrEqual(MAX_KEYS);
    expect(peak).toBe(BUSY);
    // Every idle key goes after idleTtl; the sweep timer goes with the last one.
    await clock.advance(1_000);
    expect(registry.size).toBe(0);
    expect(evicted).toBe(KEYS);
    expect(listenersLeft).toBe(0);
    expect(successes).toBe(KEYS);
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  }, 60_000);

  it('rateLimit with per-call keys: 50,000 keys, 2,000 busy at a time, 5,000 of them with a waiter, maxKeys 1,000', async () => {
    const clock = new VirtualClock();
    const caller = new AbortController();
    const store = memoryStore({ maxKeys: MAX_KEYS });
    // One key per ms on average under a window of 2,000 ms: the last 2,000 keys are busy.
    const window = BUSY;
    const limiter = rateLimit({ limits: slidingWindow({ limit: 1, window }), store, clock });
    const admitted = new Map<string, number[]>();
    const run = (key: string) =>
      limiter.execute(
        () => {
          const times = admitted.get(key) ?? [];
          times.push(clock.now());
          admitted.set(key, times);
          return key;
        },
        { key, signal: caller.signal },
      );
    const pending: Array<Promise<unknown>> = [];
    let settled = 0;
    const count = () => settled++;
    // When each key's usage stops counting, in two FIFOs (one call: a window; a call and a waiter: two).
    const once: number[] = [];
    const twice: number[] = [];
    let peak = 0;
    for (let i = 0; i < KEYS; i++) {
      const key = `tenant-${i}`;
      const now = clock.now();
      pending.push(run(key).then(count));
      if (i % 10 === 0) {
        // A second call for the same key waits a window (its own timer).
        pending.push(run(key).then(count));
        expect(limiter.waiting(key)).toBe(1);
        twice.push(now + 2 * window);
      } else once.push(now + window);
      while (once.length > 0 && once[0]! <= now) once.shift();
      while (twice.length > 0 && twice[0]! <= now) twice.shift();
      // Usage that still counts is never dropped: at most max(maxKeys, busy keys + 1) keys.
      expect(store.size(limiter.scope)).toBeLessThanOrEqual(
        Math.max(MAX_KEYS, once.length + twice.length + 1),
      );
      peak = Math.max(peak, store.size(limiter.scope));
      if (i % 10 === 9) await clock.advance(10);
    }
    // Calls admitted at once have settled already; the waiters settle as their time comes.
    expect(settled).toBeGreaterThanOrEqual(KEYS);
    await clock.runAll();
    await Promise.all(pending);
    expect(settled).toBe(KEYS + KEYS / 10);
    expect(peak).toBeGreaterThanOrEqual(BUSY);
    // Never two admissions of a key within a window, whatever the store dropped.
    for (const [key, times] of admitted) {
      if (times.length === 2) expect(times[1]! - times[0]!, key).toBeGreaterThanOrEqual(window);
      else expect(times, key).toHaveLength(1);
    }
    expect(limiter.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    // Everything is at rest two windows after the last call: new keys make room down to maxKeys.
    await clock.advance(2 * window);
    await limiter.execute(() => 'late', { key: 'late' });
    expect(store.size(limiter.scope)).toBeLessThanOrEqual(MAX_KEYS);
  }, 120_000);
});
