import { isInvalidOptionError, type RateLimit, slidingWindow, tokenBucket } from '@bulwark/core';
import { MemoryRateLimitStore, type RateLimitScope } from '@bulwark/core/store';
import { VirtualClock } from '@bulwark/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaseStore } from '../../../src/index.js';
import { CountingStore } from './counting-store.js';

/** The lease's logic on core's in-memory store and a virtual clock: what it hands out, keeps, gives back. */
const bucket = (capacity: number) => tokenBucket({ rate: capacity, per: 1000, capacity });
const scopeFor = (...limits: RateLimit[]): RateLimitScope => ({ id: JSON.stringify(limits), limits });

function setup(scope: RateLimitScope, size: number, maxHoldMs = 100) {
  const clock = new VirtualClock();
  const shared = new MemoryRateLimitStore();
  const counting = new CountingStore(shared, scope.limits.length);
  const store = leaseStore(counting, { size, maxHoldMs, clock });
  const acquire = (costs: number[], key = 'k', marks?: number[]) =>
    Promise.resolve(store.acquire({ scope, key, costs, now: clock.now(), marks }));
  return { clock, shared, counting, store, acquire };
}

describe('leaseStore', () => {
  it('takes size calls worth in one round trip and hands the rest out here, then takes another', async () => {
    const scope = scopeFor(bucket(100));
    const { counting, acquire, shared, clock } = setup(scope, 10);
    for (let i = 0; i < 10; i++) expect((await acquire([1])).admitted).toBe(true);
    expect(counting.acquires).toBe(1);
    expect(counting.taken).toEqual([10]);
    // The shared store counts all ten as taken from the start.
    const state = shared.read({ scope, key: 'k', now: clock.now() }).state!;
    expect(state.limits[0]).toMatchObject({ tat: 100 });
    expect((await acquire([1])).admitted).toBe(true);
    expect(counting.acquires).toBe(2);
  });

  it('hands out all limits or none, weighted, and gives back the rest of a lease it replaces', async () => {
    const scope = scopeFor(bucket(100), bucket(10_000));
    const { counting, acquire } = setup(scope, 4);
    await acquire([1, 50]); // lease [4, 200], 3 and 150 left
    await acquire([1, 100]); // 2 and 50 left
    expect(counting.acquires).toBe(1);
    // 2 requests but only 50 tokens: not from the lease (nothing taken), a new lease, the old rest given back.
    await acquire([1, 60]);
    expect(counting.acquires).toBe(2);
    expect(counting.refunded).toEqual([2, 50]);
    expect(counting.taken).toEqual([8, 440]);
  });

  it('gives back what is left when maxHoldMs ends, and then forgets the key', async () => {
    const scope = scopeFor(bucket(100));
    const { counting, acquire, clock, shared } = setup(scope, 10, 50);
    await acquire([1]);
    await clock.advance(49);
    expect(counting.refunded).toEqual([0]);
    await clock.advance(1);
    // Of the 9 left, the 5 the bucket has not refilled yet come back (core's refund rule): full again at once.
    expect(counting.refunded).toEqual([9]);
    expect(shared.read({ scope, key: 'k', now: clock.now() }).state!.limits[0]).toMatchObject({ tat: 50 });
    expect(clock.pendingTimers).toBe(0);
    // A call after the end takes a new lease.
    await acquire([1]);
    expect(counting.acquires).toBe(2);
  });

  it('writes the lease marks on hand-outs, so an adjust gives the caller tokens back to the shared store', async () => {
    const scope = scopeFor(slidingWindow({ limit: 10, window: 1000, segments: 10 }));
    const { store, acquire, shared, clock } = setup(scope, 5);
    const first: number[] = [];
    const second: number[] = [];
    const a = await acquire([1], 'k', first);
    const b = await acquire([1], 'k', second);
    expect(second).toEqual(first);
    expect(b.admitted && b.at).toBe(a.admitted && a.at);
    await store.adjust({
      scope,
      key: 'k',
      deltas: [-1],
      admission: { at: clock.now(), costs: [1], marks: second },
      now: clock.now(),
    });
    expect(shared.read({ scope, key: 'k', now: clock.now() }).state!.limits[0]).toMatchObject({ total: 4 });
  });

  it('stops at once on its own pause (giving the lease back), and on another process pause when its lease ends', async () => {
    const scope = scopeFor(bucket(100));
    const { clock, counting, store, acquire } = setup(scope, 10, 100);
    const other = leaseStore(counting.inner, { size: 10, maxHoldMs: 100, clock });
    await acquire([1]);
    await other.acquire({ scope, key: 'k', costs: [1], now: clock.now() });
    // Another process pauses the scope: this one still hands out its lease (9 left) until the lease ends.
    await other.pause({ scope, forMs: 1000, now: clock.now() });
    for (let i = 0; i < 9; i++) expect((await acquire([1])).admitted).toBe(true);
    const refused = await acquire([1]);
    expect(refused).toMatchObject({ admitted: false, limit: -1 });
    // Its own pause ends its lease at once and gives the rest back.
    await clock.advance(1000);
    await acquire([1]);
    const before = counting.refunded[0]!;
    await store.pause({ scope, key: 'k', forMs: 10, now: clock.now() });
    expect(counting.refunded[0]! - before).toBe(9);
    expect(await acquire([1])).toMatchObject({ admitted: false, limit: -1 });
  });

  it('goes call by call for a while when a whole batch is refused, and never asks more than a capacity', async () => {
    const scope = scopeFor(bucket(5));
    const { counting, acquire, clock } = setup(scope, 100, 1000);
    // 100 calls worth is more than the bucket holds: the batch is the capacity.
    expect((await acquire([1])).admitted).toBe(true);
    expect(counting.taken).toEqual([5]);
    for (let i = 0; i < 4; i++) await acquire([1]);
    expect(counting.acquires).toBe(1);
    // Empty: the batch is refused, then this call alone (two round trips), then call by call while the batch
    // could not fit (its wait: 1000 ms for all 5 tokens; at most maxHoldMs).
    expect((await acquire([1])).admitted).toBe(false);
    expect(counting.acquires).toBe(3);
    await clock.advance(100);
    expect((await acquire([1])).admitted).toBe(false);
    expect(counting.acquires).toBe(4);
    await clock.advance(100);
    expect((await acquire([1])).admitted).toBe(true);
    expect(counting.acquires).toBe(5);
    // Once the bucket is full again, a batch again.
    await clock.advance(1000);
    await acquire([1]);
    await acquire([1]);
    expect(counting.acquires).toBe(6);
  });

  it('names bad options', () => {
    const shared = new MemoryRateLimitStore();
    for (const [store, options, option] of [
      [shared, { size: 0.5 }, 'size'],
      [shared, {}, 'size'],
      [shared, { size: 2, maxHoldMs: 0 }, 'maxHoldMs'],
      [shared, { size: 2, clock: {} }, 'clock'],
      [{}, { size: 2 }, 'store'],
      [shared, undefined, 'options'],
    ] as const) {
      let error: unknown;
      try {
        leaseStore(store as never, options as never);
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionError(error), option).toBe(true);
      expect((error as { option: string }).option).toBe(option);
    }
  });

  it('never hands out more than it took from the shared store, whatever the calls and times (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.record({
            process: fc.nat({ max: 2 }),
            costs: fc.tuple(fc.constantFrom(0, 1, 2, 3), fc.constantFrom(0, 1, 5)),
            dt: fc.constantFrom(0, 0, 1, 7, 40, 120),
            pause: fc.constantFrom(false, false, false, false, false, true),
          }),
          { maxLength: 60 },
        ),
        async (size, calls) => {
          const scope = scopeFor(bucket(12), slidingWindow({ limit: 20, window: 300, segments: 3 }));
          const clock = new VirtualClock();
          const counting = new CountingStore(new MemoryRateLimitStore(), 2);
          const processes = [0, 1, 2].map(() => leaseStore(counting, { size, maxHoldMs: 50, clock }));
          const handed = [0, 0];
          /** Admissions by the shared store's time of their tokens: the window never holds more than 20. */
          const times: Array<[number, number]> = [];
          for (const call of calls) {
            await clock.advance(call.dt);
            const store = processes[call.process]!;
            if (call.pause) {
              await store.pause({ scope, forMs: 30, now: clock.now() });
              continue;
            }
            const r = await store.acquire({ scope, key: 'k', costs: call.costs, now: clock.now() });
            if (r.admitted) {
              handed[0]! += call.costs[0];
              handed[1]! += call.costs[1];
              times.push([r.at ?? clock.now(), call.costs[1]]);
            }
            for (let i = 0; i < 2; i++) {
              expect(handed[i]!).toBeLessThanOrEqual(counting.taken[i]! - counting.refunded[i]! + 1e-9);
            }
          }
          for (const [t] of times) {
            const inWindow = times.filter(([u]) => u >= t && u < t + 300).reduce((s, [, c]) => s + c, 0);
            expect(inWindow).toBeLessThanOrEqual(20);
          }
          await clock.runAll();
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 200) },
    );
  });
});
