import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as main from '../src/index.js';
import {
  MemoryRateLimitStore,
  type RateLimitStore,
  rateLimit,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';
import * as storeEntry from '../src/store.js';
import {
  ADMITTED,
  type AcquireRequest,
  type AcquireResult,
  type RateLimitScope,
  rateLimitAlgorithms,
} from '../src/store.js';
import { VirtualClock } from '../src/testing.js';
import {
  asyncMemoryStore,
  clockedStore,
  limitArb,
  opArb,
  playTraffic,
  STORY_LIMITS,
  story,
} from './support/rate-limit-store-contract.js';

describe('store contract: a store with its own clock', () => {
  it('makes the limiter decide exactly as on the in-memory store, whatever the skew between the clocks', async () => {
    const reference = await story(STORY_LIMITS, () => new MemoryRateLimitStore());
    // The story is not trivial: calls wait, one is refused, one leaves, the pause decides some waits.
    expect(reference.outcomes).toContainEqual({ id: 5, admittedAt: 2200 });
    expect(reference.outcomes).toContainEqual({ id: 7, failedAt: 700, error: 'left' });
    expect(reference.outcomes.some((o) => 'refusedAt' in o)).toBe(true);
    // An asynchronous store answers later, so more calls reach it before any waits: its own reference.
    const asyncReference = await story(STORY_LIMITS, () => asyncMemoryStore());
    for (const skew of [3_600_000, -90_000, 0.25]) {
      const sync = await story(STORY_LIMITS, (clock) => clockedStore(clock, skew, 'sync'));
      expect(sync, `skew ${skew}`).toEqual(reference);
      const async = await story(STORY_LIMITS, (clock) => clockedStore(clock, skew, 'async'));
      expect(async, `skew ${skew}, asynchronous`).toEqual(asyncReference);
    }
  });

  it('on random traffic, decides as the in-memory store (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(limitArb, { minLength: 1, maxLength: 2 }),
        fc.array(opArb, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: -100, max: 100 }).map((k) => k * 10_000),
        async (limits, ops, skew) => {
          const play = (store: RateLimitStore, clock: VirtualClock) => playTraffic(limits, ops, store, clock);
          const plainClock = new VirtualClock();
          const expected = await play(new MemoryRateLimitStore(), plainClock);
          const clock = new VirtualClock();
          expect(await play(clockedStore(clock, skew, 'sync'), clock)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('store contract: requests are lent', () => {
  it('lends one request object to a synchronous store, call after call', async () => {
    const memory = new MemoryRateLimitStore();
    const seen = new Set<AcquireRequest>();
    const store: RateLimitStore = {
      acquire: (request) => {
        seen.add(request);
        return memory.acquire(request);
      },
      adjust: (request) => memory.adjust(request),
      pause: (request) => memory.pause(request),
      read: (request) => memory.read(request),
    };
    const policy = rateLimit({ limits: tokenBucket({ rate: 1000 }), store });
    for (let i = 0; i < 10; i++) await policy.execute(() => i, { key: `k${i % 2}` });
    for (let i = 0; i < 10; i++) await policy.execute(() => i);
    expect(seen.size).toBe(1);
  });

  it('never touches a request an asynchronous store still holds', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    const mismatches: string[] = [];
    const answers: Array<() => void> = [];
    const store: RateLimitStore = {
      acquire: (request) => {
        const asked = { key: request.key, costs: [...request.costs], now: request.now, marks: request.marks };
        return new Promise<AcquireResult>((resolve) => {
          answers.push(() => {
            const now = {
              key: request.key,
              costs: [...request.costs],
              now: request.now,
              marks: request.marks,
            };
            if (JSON.stringify(now) !== JSON.stringify(asked)) mismatches.push(JSON.stringify([asked, now]));
            resolve(memory.acquire(request));
          });
        });
      },
      adjust: (request) => memory.adjust(request),
      pause: (request) => memory.pause(request),
      read: (request) => memory.read(request),
    };
    const policy = rateLimit({ limits: tokenBucket({ rate: 1000, capacity: 100 }), store, clock });
    const runs = Array.from({ length: 8 }, (_, i) =>
      policy.execute(() => i, { key: `k${i % 3}`, cost: 1 + (i % 4) }),
    );
    await clock.advance(5);
    runs.push(policy.execute(() => 8));
    expect(answers).toHaveLength(9);
    for (const answer of answers) answer();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(mismatches).toEqual([]);
  });
});

describe('store contract: the algorithms', () => {
  const limits = [tokenBucket({ rate: 10, capacity: 2 }), slidingWindow({ limit: 3, window: 1000 })];
  const scope: RateLimitScope = { id: 'algorithms', limits };

  it('admit takes every limit or none, writes the marks, and answers with ADMITTED or the wait', () => {
    const state = rateLimitAlgorithms.freshState(limits, 0);
    const marks: number[] = [];
    expect(rateLimitAlgorithms.admit({ scope, key: '', costs: [1, 1], now: 0, marks }, state)).toBe(ADMITTED);
    expect(marks).toEqual([100, 0]);
    expect(rateLimitAlgorithms.admit({ scope, key: '', costs: [1, 1], now: 0 }, state)).toBe(ADMITTED);
    // The bucket is empty: 100 ms for one token; nothing is taken from the window meanwhile.
    const before = rateLimitAlgorithms.cloneState(state);
    expect(rateLimitAlgorithms.admit({ scope, key: '', costs: [1, 1], now: 0 }, state)).toEqual({
      admitted: false,
      retryAfterMs: 100,
      limit: 0,
    });
    expect(state).toEqual(before);
  });

  it('admit counts a pause of the whole scope, kept apart from the key state, as limit -1', () => {
    const state = rateLimitAlgorithms.freshState(limits, 0);
    expect(rateLimitAlgorithms.admit({ scope, key: '', costs: [1, 1], now: 10 }, state, 500)).toEqual({
      admitted: false,
      retryAfterMs: 490,
      limit: -1,
    });
    expect(rateLimitAlgorithms.admit({ scope, key: '', costs: [1, 1], now: 500 }, state, 500)).toBe(ADMITTED);
  });

  it('adjustAll refunds an admission from its marks, never one older than the state', () => {
    const state = rateLimitAlgorithms.freshState(limits, 0);
    const marks: number[] = [];
    rateLimitAlgorithms.admit({ scope, key: '', costs: [2, 3], now: 0, marks }, state);
    expect(rateLimitAlgorithms.fitAll(limits, state, [1, 1], 0)).toBe(1000);
    rateLimitAlgorithms.adjustAll(limits, state, [-2, -3], { at: 0, costs: [2, 3], marks }, 0);
    expect(rateLimitAlgorithms.fitAll(limits, state, [2, 3], 0)).toBe(0);
    // An admission made before this state existed (a forgotten key) gets nothing back.
    const later = rateLimitAlgorithms.freshState(limits, 50);
    const laterMarks: number[] = [];
    rateLimitAlgorithms.admit({ scope, key: '', costs: [2, 3], now: 50, marks: laterMarks }, later);
    rateLimitAlgorithms.adjustAll(limits, later, [-2, -3], { at: 0, costs: [2, 3], marks: laterMarks }, 50);
    expect(rateLimitAlgorithms.fitAll(limits, later, [1, 1], 50)).toBe(1050);
  });
});

describe('store contract: entry points', () => {
  it('keeps what store implementers need in @bulwark/core/store, and out of the main entry', () => {
    for (const name of ['ADMITTED', 'rateLimitAlgorithms', 'NEVER', 'TIME_EPSILON']) {
      expect(storeEntry).toHaveProperty(name);
      expect(main).not.toHaveProperty(name);
    }
    // What a store's user needs is in both.
    expect(main.memoryStore).toBe(storeEntry.memoryStore);
    expect(main.MemoryRateLimitStore).toBe(storeEntry.MemoryRateLimitStore);
  });
});
