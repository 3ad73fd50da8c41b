import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RateLimit, slidingWindow, smooth, tokenBucket } from '../../src/index.js';
import {
  type AcquireResult,
  type KeyState,
  memoryStore,
  type RateLimitScope,
  rateLimitAlgorithms,
} from '../../src/store.js';

/** A sliding window whose `kind` counts its reads: every key state the store looks at reads it once per limit. */
function countedWindow(window: number): { limit: RateLimit; reads: () => number } {
  const base = slidingWindow({ limit: 1, window });
  let reads = 0;
  const limit = { ...base } as Record<string, unknown>;
  Object.defineProperty(limit, 'kind', {
    get() {
      reads++;
      return base.kind;
    },
  });
  return { limit: limit as unknown as RateLimit, reads: () => reads };
}

/**
 * Looks at the store's work per new key: one new key per ms under a window of `busy` ms, so the last `busy` keys
 * are busy, with `maxKeys` below that. Returns how many times the limit was read per key, in steady state.
 */
function limitReadsPerNewKey(busy: number, maxKeys: number): { reads: number; size: number } {
  const { limit, reads } = countedWindow(busy);
  const scope: RateLimitScope = { id: `counted-${busy}-${maxKeys}`, limits: [limit] };
  const store = memoryStore({ maxKeys });
  let t = 0;
  for (; t < 2 * busy; t++) store.acquire({ scope, key: `k${t}`, costs: [1], now: t });
  const before = reads();
  const keys = 1000;
  for (let end = t + keys; t < end; t++) {
    expect(store.acquire({ scope, key: `k${t}`, costs: [1], now: t })).toMatchObject({ admitted: true });
  }
  return { reads: (reads() - before) / keys, size: store.size(scope) };
}

describe('memoryStore: eviction with many busy keys', () => {
  it('looks at a bounded number of keys per new key, however many are busy beyond maxKeys', () => {
    const small = limitReadsPerNewKey(200, 100);
    const large = limitReadsPerNewKey(4000, 1000);
    expect(large.reads).toBeLessThanOrEqual(small.reads);
    expect(large.reads).toBeLessThan(10);
    // Every busy key is kept (the newest key may be the one beyond them).
    expect(small.size).toBeGreaterThanOrEqual(200);
    expect(small.size).toBeLessThanOrEqual(201);
    expect(large.size).toBeGreaterThanOrEqual(4000);
    expect(large.size).toBeLessThanOrEqual(4001);
  });
});

/** An admission, kept so that the property can adjust it later (reconcile or give back). */
interface Admission {
  readonly key: string;
  readonly costs: number[];
  readonly marks: number[];
  readonly refMarks: number[];
  readonly at: number;
}

const limitArb: fc.Arbitrary<RateLimit> = fc.oneof(
  fc
    .record({ rate: fc.integer({ min: 1, max: 5 }), per: fc.integer({ min: 10, max: 200 }) })
    .map((o) => tokenBucket(o)),
  fc
    .record({ rate: fc.integer({ min: 1, max: 5 }), burst: fc.integer({ min: 1, max: 3 }) })
    .map((o) => smooth({ ...o, per: 100 })),
  fc
    .record({
      limit: fc.integer({ min: 1, max: 4 }),
      window: fc.integer({ min: 10, max: 300 }),
      segments: fc.integer({ min: 1, max: 5 }),
    })
    .map((o) => slidingWindow(o)),
);

const opArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      key: fc.nat(20),
      dt: fc.integer({ min: 0, max: 60 }),
      cost: fc.double({ min: 0.1, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('adjust' as const),
      index: fc.nat(),
      delta: fc.double({ min: -1, max: 1, noNaN: true }),
      dt: fc.integer({ min: 0, max: 30 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('pause' as const),
      key: fc.nat(20),
      ms: fc.integer({ min: 0, max: 200 }),
    }),
  },
);

describe('memoryStore: eviction (property)', () => {
  it('decides exactly like a store that never forgets, never drops a busy key, and holds at most max(maxKeys, busy keys + 1) after a new key', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(limitArb, { minLength: 1, maxLength: 2 }),
        fc.array(opArb, { maxLength: 150 }),
        (maxKeys, limits, ops) => {
          const store = memoryStore({ maxKeys });
          const scope: RateLimitScope = { id: 'bounded', limits };
          // The reference: every key in a scope of its own, so it is never dropped (a key is only dropped to make
          // room for another key of the same scope).
          const reference = memoryStore({ maxKeys: 1 });
          const referenceScope = (key: string): RateLimitScope => ({ id: `ref:${key}`, limits });
          const used = new Set<string>();
          const admissions: Admission[] = [];
          let now = 0;
          const busyKeys = () =>
            [...used].filter((key) => {
              const { state } = reference.read({ scope: referenceScope(key), key, now });
              return rateLimitAlgorithms.restAt(limits, state as KeyState) > now;
            });
          for (const op of ops) {
            const before = new Set(store.keys(scope));
            let key: string;
            if (op.kind === 'acquire') {
              now += op.dt;
              key = `k${op.key}`;
              const costs = limits.map((l) => Math.min(op.cost * l.capacity, l.capacity));
              const marks: number[] = [];
              const refMarks: number[] = [];
              const got: AcquireResult = store.acquire({ scope, key, costs, now, marks });
              const want = reference.acquire({
                scope: referenceScope(key),
                key,
                costs,
                now,
                marks: refMarks,
              });
              expect(got).toEqual(want);
              // Marks are each state's own bookkeeping (a recreated state starts its refund sums afresh): the
              // adjustments below go to each store with its own marks.
              if (got.admitted) admissions.push({ key, costs, marks, refMarks, at: now });
            } else if (op.kind === 'adjust') {
              if (admissions.length === 0) continue;
              now += op.dt;
              const a = admissions[op.index % admissions.length]!;
              key = a.key;
              const deltas = a.costs.map((c) => Math.max(-c, op.delta * c));
              store.adjust({
                scope,
                key,
                deltas,
                admission: { at: a.at, costs: a.costs, marks: a.marks },
                now,
              });
              reference.adjust({
                scope: referenceScope(key),
                key,
                deltas,
                admission: { at: a.at, costs: a.costs, marks: a.refMarks },
                now,
              });
            } else {
              key = `k${op.key}`;
              store.pause({ scope, key, forMs: op.ms, now });
              reference.pause({ scope: referenceScope(key), key, forMs: op.ms, now });
            }
            used.add(key);
            const after = new Set(store.keys(scope));
            const busy = busyKeys();
            // A busy key is never dropped.
            for (const k of busy) expect(after.has(k), `busy ${k} dropped`).toBe(true);
            for (const k of before) {
              if (!after.has(k)) {
                const { state } = reference.read({ scope: referenceScope(k), key: k, now });
                expect(rateLimitAlgorithms.restAt(limits, state as KeyState)).toBeLessThanOrEqual(now);
              }
            }
            // Right after a new key is stored, the store holds at most max(maxKeys, busy keys + 1).
            if (!before.has(key) && after.has(key)) {
              expect(after.size).toBeLessThanOrEqual(Math.max(maxKeys, busy.length + 1));
            }
            // What the store answers for every key matches the reference (a dropped key reads as fresh).
            for (const k of used) {
              const got = store.read({ scope, key: k, now }).state as KeyState;
              const want = reference.read({ scope: referenceScope(k), key: k, now }).state as KeyState;
              expect(
                rateLimitAlgorithms.fitAll(
                  limits,
                  got,
                  limits.map(() => 0.5),
                  now,
                ),
              ).toBe(
                rateLimitAlgorithms.fitAll(
                  limits,
                  want,
                  limits.map(() => 0.5),
                  now,
                ),
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a refunded admission that is charged again', () => {
  // Found by the Redis store's property test (the Lua store keeps the key and refused; this store had dropped it).
  it('is still counted: the key is not dropped while the admission can be charged', () => {
    const limits = [slidingWindow({ limit: 2, window: 100, segments: 1 })];
    const scope: RateLimitScope = { id: 'refund-then-charge', limits };
    const store = memoryStore({ maxKeys: 1 });
    const marks: number[] = [];
    expect(store.acquire({ scope, key: 'b', costs: [2], now: 0, marks }).admitted).toBe(true);
    const admission = { at: 0, costs: [2], marks: [...marks] };
    store.adjust({ scope, key: 'b', deltas: [-2], admission, now: 0 }); // refunded in full
    store.acquire({ scope, key: 'a', costs: [0], now: 0 }); // a new key makes room: b must not go
    store.adjust({ scope, key: 'b', deltas: [2], admission, now: 0 }); // charged again after all
    const again = store.acquire({ scope, key: 'b', costs: [2], now: 0 });
    expect(again).toMatchObject({ admitted: false, limit: 0 });
  });
});
