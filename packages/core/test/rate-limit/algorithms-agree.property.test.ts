/**
 * `@bulwark/core/store`'s algorithms, as a store implementer combines them: `admit` (one acquire) must decide,
 * mark and record exactly as `fitAll` then `consumeAll` at the same time, so marks written either way correct the
 * same admission the same way through `adjustAll`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RateLimit, slidingWindow, smooth, tokenBucket } from '../../src/index.js';
import { ADMITTED, type RateLimitScope, rateLimitAlgorithms, TIME_EPSILON } from '../../src/store.js';

const { admit, adjustAll, cloneState, consumeAll, fitAll, freshState, restAt } = rateLimitAlgorithms;

const limitArb: fc.Arbitrary<RateLimit> = fc.oneof(
  fc
    .record({ rate: fc.integer({ min: 1, max: 5 }), per: fc.constantFrom(30, 100, 1000 / 3) })
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
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 80 })),
      size: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('adjust' as const),
      index: fc.nat(),
      ratio: fc.double({ min: -1, max: 1, noNaN: true }),
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
    }),
  },
);

interface Made {
  readonly at: number;
  readonly costs: number[];
  readonly admitMarks: number[];
  readonly consumeMarks: number[];
}

describe('store algorithms: admit and fitAll + consumeAll agree', () => {
  it('on the same traffic and corrections, they decide, mark and record the same (property)', () => {
    fc.assert(
      fc.property(
        fc.array(limitArb, { minLength: 1, maxLength: 3 }),
        fc.array(opArb, { maxLength: 60 }),
        (limits, ops) => {
          const scope: RateLimitScope = { id: 'agree', limits };
          const byAdmit = freshState(limits, 0);
          const byParts = freshState(limits, 0);
          const made: Made[] = [];
          let now = 0;
          for (const op of ops) {
            now += op.dt;
            if (op.kind === 'acquire') {
              const costs = limits.map((l) => Math.round(op.size * l.capacity * 100) / 100);
              const admitMarks: number[] = [];
              const answer = admit({ scope, key: '', costs, now, marks: admitMarks }, byAdmit);
              const blocker = { limit: -2 };
              const fit = fitAll(limits, byParts, costs, now, blocker);
              if (answer === ADMITTED) {
                expect(fit).toBeLessThanOrEqual(now + TIME_EPSILON);
                const consumeMarks: number[] = [];
                consumeAll(limits, byParts, costs, now, consumeMarks);
                expect(consumeMarks).toEqual(admitMarks);
                made.push({ at: now, costs, admitMarks, consumeMarks });
              } else {
                expect(answer).toEqual({ admitted: false, retryAfterMs: fit - now, limit: blocker.limit });
              }
            } else if (made.length > 0) {
              const a = made[op.index % made.length]!;
              const deltas = a.costs.map((c) => op.ratio * c);
              adjustAll(limits, byAdmit, deltas, { at: a.at, costs: a.costs, marks: a.admitMarks }, now);
              adjustAll(limits, byParts, deltas, { at: a.at, costs: a.costs, marks: a.consumeMarks }, now);
            }
            expect(byParts).toEqual(byAdmit);
            expect(restAt(limits, cloneState(byParts))).toBe(restAt(limits, byAdmit));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a bucket mark, written by admit or consumeAll, carries the refunds made before it', () => {
    const limits = [tokenBucket({ rate: 10, capacity: 4 })];
    const scope: RateLimitScope = { id: 'marks', limits };
    const state = freshState(limits, 0);
    const first: number[] = [];
    expect(admit({ scope, key: '', costs: [2], now: 0, marks: first }, state)).toBe(ADMITTED);
    adjustAll(limits, state, [-2], { at: 0, costs: [2], marks: first }, 0); // 200 ms of bucket time back
    const byAdmit: number[] = [];
    expect(admit({ scope, key: '', costs: [2], now: 0, marks: byAdmit }, cloneState(state))).toBe(ADMITTED);
    const second: number[] = [];
    consumeAll(limits, state, [2], 0, second);
    // Ends at 200 in bucket time, plus the 200 refunded before it.
    expect(second).toEqual([400]);
    expect(byAdmit).toEqual([400]);
    // Refunding the second admission in full empties the bucket's backlog: 4 fit at once again.
    adjustAll(limits, state, [-2], { at: 0, costs: [2], marks: second }, 0);
    expect(fitAll(limits, state, [4], 0)).toBe(0);
  });
});
