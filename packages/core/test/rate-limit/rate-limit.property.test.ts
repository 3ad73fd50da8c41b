import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isRateLimitCostError,
  isRateLimitedError,
  type RateLimit,
  rateLimit,
  slidingWindow,
  smooth,
  tokenBucket,
  withCost,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

const unit = fc.constantFrom('calls', 'cost');

const anyLimit: fc.Arbitrary<RateLimit> = fc.oneof(
  fc
    .record({
      rate: fc.integer({ min: 1, max: 5 }),
      per: fc.constantFrom(100, 300, 1000),
      capacity: fc.integer({ min: 1, max: 6 }),
      unit,
    })
    .map((o) => tokenBucket(o)),
  fc
    .record({
      rate: fc.integer({ min: 1, max: 5 }),
      per: fc.constantFrom(100, 1000),
      burst: fc.integer({ min: 1, max: 4 }),
      unit,
    })
    .map((o) => smooth(o)),
  fc
    .record({
      limit: fc.integer({ min: 1, max: 8 }),
      window: fc.constantFrom(100, 250, 1000),
      segments: fc.integer({ min: 1, max: 12 }),
      unit,
    })
    .map((o) => slidingWindow(o)),
);

interface PlannedCall {
  readonly at: number;
  /** A fraction of the smallest weighted capacity (above 1: a cost no limit can hold). */
  readonly size: number;
  readonly key: number;
  readonly abortAfter: number | undefined;
}

const plannedCall: fc.Arbitrary<PlannedCall> = fc.record({
  at: fc.integer({ min: 0, max: 3000 }),
  size: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1), fc.constant(1.5)),
  key: fc.integer({ min: 0, max: 1 }),
  abortAfter: fc.option(fc.integer({ min: 0, max: 1500 }), { nil: undefined }),
});

interface Admission {
  readonly id: number;
  readonly at: number;
  readonly costs: readonly number[];
}

/** Amount each limit takes for a call of numeric cost `cost`. */
function costsOf(limits: readonly RateLimit[], cost: number): number[] {
  return limits.map((l) => (l.unit === 'calls' ? 1 : cost));
}

/** Asserts that no limit admitted more than it allows, over every interval the admissions span. */
function assertWithinLimits(limits: readonly RateLimit[], admissions: readonly Admission[]): void {
  const sorted = [...admissions].sort((a, b) => a.at - b.at);
  limits.forEach((limit, i) => {
    if (limit.kind === 'window') {
      // Any window (t - window, t]: the worst one ends at an admission.
      for (const end of sorted) {
        const used = sorted
          .filter((a) => a.at > end.at - limit.window && a.at <= end.at)
          .reduce((sum, a) => sum + a.costs[i]!, 0);
        expect(used, `${limit.name} in (${end.at - limit.window}, ${end.at}]`).toBeLessThanOrEqual(
          limit.capacity + 1e-9,
        );
      }
    } else {
      // A bucket holds at most `capacity` and refills one unit per `interval`: over [a, b] at most
      // capacity + (b - a) / interval.
      for (let first = 0; first < sorted.length; first++) {
        let used = 0;
        for (let last = first; last < sorted.length; last++) {
          used += sorted[last]!.costs[i]!;
          const allowed = limit.capacity + (sorted[last]!.at - sorted[first]!.at) / limit.interval;
          expect(used, `${limit.name} over [${sorted[first]!.at}, ${sorted[last]!.at}]`).toBeLessThanOrEqual(
            allowed + 1e-9,
          );
        }
      }
    }
  });
}

describe('rate limiter properties', () => {
  it('never admits more than any limit allows, serves each key FIFO, and refuses or releases promptly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyLimit, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('wait' as const, 'reject' as const),
        fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.constant(Infinity)),
        fc.array(plannedCall, { minLength: 1, maxLength: 40 }),
        async (limits, mode, maxWait, calls) => {
          const clock = new VirtualClock();
          const policy = rateLimit({ limits, mode, maxWait, clock });
          const weighted = limits.filter((l) => l.unit !== 'calls').map((l) => l.capacity);
          const smallest = weighted.length === 0 ? 1 : Math.min(...weighted);
          const admissions = new Map<number, Admission[]>([
            [0, []],
            [1, []],
          ]);
          const arrivals = new Map<number, number[]>([
            [0, []],
            [1, []],
          ]);
          const settled: Promise<void>[] = [];

          calls.forEach((call, id) => {
            const cost = Math.round(call.size * smallest * 100) / 100;
            clock.setTimer(() => {
              arrivals.get(call.key)!.push(id);
              const controller = call.abortAfter === undefined ? undefined : new AbortController();
              if (controller) clock.setTimer(() => controller.abort(`abort ${id}`), call.abortAfter!);
              let admittedAt: number | undefined;
              settled.push(
                policy
                  .execute(
                    () => {
                      admittedAt = clock.now();
                      admissions.get(call.key)!.push({ id, at: admittedAt, costs: costsOf(limits, cost) });
                    },
                    { cost, key: `k${call.key}`, signal: controller?.signal },
                  )
                  .then(
                    () => {
                      expect(admittedAt).toBeGreaterThanOrEqual(call.at);
                      if (mode === 'reject') expect(admittedAt).toBe(call.at);
                      else expect(admittedAt! - call.at).toBeLessThanOrEqual(maxWait);
                    },
                    (error: unknown) => {
                      const now = clock.now();
                      expect(admittedAt).toBeUndefined();
                      if (isRateLimitCostError(error)) {
                        expect(cost).toBeGreaterThan(smallest);
                        expect(now).toBe(call.at);
                      } else if (isRateLimitedError(error)) {
                        // Refused at once, with a wait that would have been too long.
                        expect(now).toBe(call.at);
                        expect(error.retryAfterMs).toBeGreaterThan(mode === 'reject' ? 0 : maxWait);
                        expect(error.key).toBe(`k${call.key}`);
                      } else {
                        // Aborted while waiting: out at the abort, with its reason.
                        expect(error).toBe(`abort ${id}`);
                        expect(now).toBe(call.at + call.abortAfter!);
                      }
                    },
                  ),
              );
            }, call.at);
          });

          await clock.runAll();
          await Promise.all(settled);

          expect(policy.waiting()).toBe(0);
          expect(clock.pendingTimers).toBe(0);
          for (const key of [0, 1]) {
            const admitted = admissions.get(key)!;
            assertWithinLimits(limits, admitted);
            // FIFO per key: admitted in arrival order.
            const order = arrivals.get(key)!;
            const ranks = admitted.map((a) => order.indexOf(a.id));
            expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('admits exactly when a reference GCRA model says, for one bucket and unbounded waits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 2, 4, 5, 10),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 3000 }), cost: fc.integer({ min: 0, max: 5 }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        async (rate, capacity, planned) => {
          const calls = planned.map((c) => ({ ...c, cost: Math.min(c.cost, capacity) }));
          const clock = new VirtualClock();
          const policy = rateLimit({ limits: tokenBucket({ rate, capacity }), maxWait: Infinity, clock });
          const admitted = new Map<number, number>();
          const runs: Promise<unknown>[] = [];
          for (const [id, call] of calls.entries()) {
            clock.setTimer(() => {
              runs.push(policy.execute(() => admitted.set(id, clock.now()), { cost: call.cost }));
            }, call.at);
          }
          await clock.runAll();
          await Promise.all(runs);

          // Reference: FIFO in arrival order (ties in planning order), GCRA with interval = 1000 / rate.
          const interval = 1000 / rate;
          const order = calls.map((c, id) => ({ ...c, id })).sort((a, b) => a.at - b.at || a.id - b.id);
          let tat = Number.NEGATIVE_INFINITY;
          let previous = Number.NEGATIVE_INFINITY;
          for (const call of order) {
            const start = Math.max(call.at, previous);
            const at = call.cost === 0 ? start : Math.max(start, tat + (call.cost - capacity) * interval);
            tat = Math.max(tat, at) + call.cost * interval;
            previous = at;
            expect(admitted.get(call.id), `call ${call.id}`).toBe(at);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('admits exactly when a reference sliding log says, for a window with 1 ms segments', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(50, 100, 200),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 1000 }), cost: fc.integer({ min: 0, max: 6 }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        async (limit, window, planned) => {
          const calls = planned.map((c) => ({ ...c, cost: Math.min(c.cost, limit) }));
          const clock = new VirtualClock();
          const policy = rateLimit({
            limits: slidingWindow({ limit, window, segments: window }),
            maxWait: Infinity,
            clock,
          });
          const admitted = new Map<number, number>();
          const runs: Promise<unknown>[] = [];
          for (const [id, call] of calls.entries()) {
            clock.setTimer(() => {
              runs.push(policy.execute(() => admitted.set(id, clock.now()), { cost: call.cost }));
            }, call.at);
          }
          await clock.runAll();
          await Promise.all(runs);

          const order = calls.map((c, id) => ({ ...c, id })).sort((a, b) => a.at - b.at || a.id - b.id);
          const log: Array<{ at: number; cost: number }> = [];
          let previous = Number.NEGATIVE_INFINITY;
          for (const call of order) {
            const used = (t: number) => log.filter((e) => e.at > t - window).reduce((s, e) => s + e.cost, 0);
            const candidates = [Math.max(call.at, previous), ...log.map((e) => e.at + window)]
              .filter((t) => t >= Math.max(call.at, previous))
              .sort((a, b) => a - b);
            const at =
              call.cost === 0 ? candidates[0]! : candidates.find((t) => used(t) + call.cost <= limit)!;
            log.push({ at, cost: call.cost });
            previous = at;
            expect(admitted.get(call.id), `call ${call.id}`).toBe(at);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with pauses and refunds, actual usage stays within the limits and nobody starts during a pause', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyLimit, { minLength: 1, maxLength: 2 }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 1500 }),
            estimate: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1)),
            used: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(0)),
            duration: fc.integer({ min: 0, max: 600 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 2000 }), ms: fc.integer({ min: 0, max: 800 }) }), {
          maxLength: 3,
        }),
        async (limits, calls, pauses) => {
          const clock = new VirtualClock();
          const policy = rateLimit({ limits, maxWait: 1500, clock });
          const weighted = limits.filter((l) => l.unit !== 'calls').map((l) => l.capacity);
          const smallest = weighted.length === 0 ? 1 : Math.min(...weighted);
          const admissions: Admission[] = [];
          const pauseWindows: Array<[number, number]> = [];
          const runs: Promise<unknown>[] = [];
          for (const pause of pauses) {
            clock.setTimer(() => {
              pauseWindows.push([clock.now(), clock.now() + pause.ms]);
              void policy.pause(pause.ms);
            }, pause.at);
          }
          calls.forEach((call, id) => {
            const estimate = Math.round(call.estimate * smallest * 100) / 100;
            const actual = Math.round(call.used * estimate * 100) / 100;
            clock.setTimer(() => {
              const task = withCost(async () => {
                admissions.push({ id, at: clock.now(), costs: costsOf(limits, actual) });
                await new Promise<void>((resolve) => clock.setTimer(resolve, call.duration));
                await task.reconcile(actual);
              }, estimate);
              runs.push(policy.execute(task).catch((e: unknown) => expect(isRateLimitedError(e)).toBe(true)));
            }, call.at);
          });
          await clock.runAll();
          await Promise.all(runs);

          // Measured with what the calls really used: the refunds never made room that was not there.
          assertWithinLimits(limits, admissions);
          for (const [from, until] of pauseWindows) {
            for (const a of admissions)
              expect(a.at > from && a.at < until, `admitted at ${a.at}`).toBe(false);
          }
          expect(policy.waiting()).toBe(0);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('a refund never gives back what a bucket already refilled, even under dense traffic', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 10 }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 200 }),
            estimate: fc.integer({ min: 1, max: 10 }),
            used: fc.oneof(fc.constant(1), fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
            duration: fc.integer({ min: 0, max: 60 }),
          }),
          { minLength: 2, maxLength: 30 },
        ),
        async (capacity, calls) => {
          const clock = new VirtualClock();
          // One token every 10 ms.
          const limit = tokenBucket({ rate: 100, capacity });
          const policy = rateLimit({ limits: limit, maxWait: Infinity, clock });
          const admissions: Admission[] = [];
          const runs: Promise<unknown>[] = [];
          calls.forEach((call, id) => {
            const estimate = Math.min(call.estimate, capacity);
            const actual = Math.floor(call.used * estimate);
            clock.setTimer(() => {
              const task = withCost(async () => {
                admissions.push({ id, at: clock.now(), costs: [actual] });
                await new Promise<void>((resolve) => clock.setTimer(resolve, call.duration));
                await task.reconcile(actual);
              }, estimate);
              runs.push(policy.execute(task));
            }, call.at);
          });
          await clock.runAll();
          await Promise.all(runs);
          assertWithinLimits([limit], admissions);
        },
      ),
      { numRuns: 300 },
    );
  });
});
