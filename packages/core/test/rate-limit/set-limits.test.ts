import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidOptionError,
  isRateLimitCostError,
  isRateLimitedError,
  type LimitsChangeEvent,
  memoryStore,
  type RateLimitStore,
  rateLimit,
  slidingWindow,
  smooth,
  tokenBucket,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { abortListeners } from '../support/helpers.js';

/** Starts `n` calls that record the virtual time they ran at. */
function calls(policy: ReturnType<typeof rateLimit>, clock: VirtualClock, n: number, ran: number[]) {
  return Array.from({ length: n }, () => policy.execute(() => ran.push(clock.now())));
}

describe('rateLimit.setLimits', () => {
  it('a higher rate and capacity admit waiters sooner, in order; the backlog keeps its time to drain', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 1 }), clock });
    const ran: number[] = [];
    const all = calls(policy, clock, 5, ran);
    await flushMicrotasks();
    expect(ran).toEqual([0]);
    expect(policy.waiting()).toBe(4);
    policy.setLimits(tokenBucket({ rate: 10, capacity: 3 }));
    await clock.runAll();
    await Promise.all(all);
    // The first call's unit of backlog now drains in 100 ms: two more fit at once (capacity 3), then one every
    // 100 ms (they were due at 1000, 2000...).
    expect(ran).toEqual([0, 0, 0, 100, 200]);
    expect(policy.limits[0]!.capacity).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a lower limit lets nothing through beyond it: the usage recorded carries over', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: slidingWindow({ limit: 5, window: 1000, segments: 10 }), clock });
    const ran: number[] = [];
    await Promise.all(calls(policy, clock, 3, ran));
    policy.setLimits(slidingWindow({ limit: 2, window: 1000, segments: 10 }));
    const later = calls(policy, clock, 2, ran);
    await clock.runAll();
    await Promise.all(later);
    // Three used in this window already: nobody until they leave it, then two.
    expect(ran).toEqual([0, 0, 0, 1000, 1000]);
  });

  it('usage carries over when the limits grow too (reject mode)', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 2 }), mode: 'reject', clock });
    await policy.execute(() => 1);
    await policy.execute(() => 2);
    policy.setLimits(tokenBucket({ rate: 1, capacity: 3 }));
    await expect(policy.execute(() => 3)).resolves.toBe(3);
    await expect(policy.execute(() => 4)).rejects.toSatisfy(isRateLimitedError);
  });

  it('refuses a waiter that can no longer start within its maxWait, and fails one whose cost no longer fits', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 3 }), maxWait: 2_500, clock });
    const rejected: unknown[] = [];
    policy.on('rejected', (e) => rejected.push(e.retryAfterMs));
    await policy.execute(() => 0, { cost: 3 });
    const first = policy.execute(() => clock.now(), { cost: 1 }); // at 1000
    const second = policy.execute(() => clock.now(), { cost: 1 }); // at 2000
    const big = policy.execute(() => clock.now(), { cost: 3 }); // would be 2 000 ms later, too late anyway
    await expect(big).rejects.toSatisfy(isRateLimitedError);
    expect(policy.waiting()).toBe(2);
    const secondRefused = expect(second).rejects.toSatisfy(isRateLimitedError);
    // Half the rate: the first waits until 2000, the second could only start at 4000, past its maxWait.
    policy.setLimits(tokenBucket({ rate: 0.5, capacity: 3 }));
    await secondRefused;
    expect(rejected.length).toBe(2);
    await clock.runAll();
    expect(await first).toBe(2000);
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails a waiter whose cost exceeds a new capacity with RateLimitCostError', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 3 }), clock });
    await policy.execute(() => 0, { cost: 3 });
    const small = policy.execute(() => clock.now(), { cost: 1 });
    const big = policy.execute(() => clock.now(), { cost: 3 });
    const tooBig = expect(big).rejects.toSatisfy(isRateLimitCostError);
    await flushMicrotasks();
    policy.setLimits(tokenBucket({ rate: 1, capacity: 2 }));
    await tooBig;
    await clock.runAll();
    expect(await small).toBe(2000);
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('waiters keep their signal across a change, and leave no listener', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 1 }), clock });
    await policy.execute(() => 0);
    const controller = new AbortController();
    const waiting = policy.execute(() => 1, { signal: controller.signal });
    const aborted = expect(waiting).rejects.toThrow('gone');
    policy.setLimits(smooth({ rate: 2 }));
    controller.abort(new Error('gone'));
    await aborted;
    expect(abortListeners(controller.signal)).toBe(0);
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps the scope id, so limiters sharing a store keep sharing usage', async () => {
    const clock = new VirtualClock();
    const store = memoryStore();
    const a = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 2 }), store, mode: 'reject', clock });
    const b = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 2 }), store, mode: 'reject', clock });
    const id = a.scope.id;
    await a.execute(() => 1);
    a.setLimits(tokenBucket({ rate: 1, capacity: 3 }));
    b.setLimits(tokenBucket({ rate: 1, capacity: 3 }));
    expect(a.scope.id).toBe(id);
    expect(a.scope.limits[0]!.capacity).toBe(3);
    await b.execute(() => 2);
    await a.execute(() => 3);
    await expect(b.execute(() => 4)).rejects.toSatisfy(isRateLimitedError);
  });

  it('with a store without relimit (as @bulwark/redis today), a bucket backlog keeps its time to drain', async () => {
    const clock = new VirtualClock();
    const memory = memoryStore();
    const store: RateLimitStore = {
      acquire: (r) => memory.acquire(r),
      adjust: (r) => memory.adjust(r),
      pause: (r) => memory.pause(r),
      read: (r) => memory.read(r),
    };
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 1 }), store, clock });
    const ran: number[] = [];
    const all = calls(policy, clock, 3, ran);
    await flushMicrotasks();
    policy.setLimits(tokenBucket({ rate: 10, capacity: 1 }));
    await clock.runAll();
    await Promise.all(all);
    // The first call's backlog still ends at 1000; then the new pace.
    expect(ran).toEqual([0, 1000, 1100]);
  });

  it('emits limitsChange with the limits before and after', () => {
    const policy = rateLimit({
      limits: [tokenBucket({ rate: 5 }), slidingWindow({ limit: 9, window: 60_000 })],
    });
    const events: LimitsChangeEvent[] = [];
    policy.on('limitsChange', (e) => events.push(e));
    const before = policy.limits;
    const next = [tokenBucket({ rate: 10 }), slidingWindow({ limit: 20, window: 60_000 })];
    policy.setLimits(next);
    expect(events).toEqual([{ policy: 'rateLimit', from: before, to: next }]);
    expect(Object.isFrozen(policy.limits)).toBe(true);
  });

  it('refuses limits of another shape with InvalidOptionError naming them, changing nothing', () => {
    const policy = rateLimit({
      limits: [tokenBucket({ rate: 5 }), slidingWindow({ limit: 9, window: 60_000, unit: 'calls' })],
      cost: 4,
    });
    const before = policy.limits;
    const bad: [unknown, RegExp][] = [
      [tokenBucket({ rate: 5 }), /^limits$/],
      [
        [slidingWindow({ limit: 5, window: 1000 }), slidingWindow({ limit: 9, window: 60_000 })],
        /^limits\[0\]$/,
      ],
      [[tokenBucket({ rate: 5 }), slidingWindow({ limit: 9, window: 60_000 })], /^limits\[1\]$/], // unit
      [
        [tokenBucket({ rate: 5 }), slidingWindow({ limit: 9, window: 30_000, unit: 'calls' })],
        /^limits\[1\]$/,
      ],
      [
        [tokenBucket({ rate: 5 }), slidingWindow({ limit: 9, window: 60_000, segments: 6, unit: 'calls' })],
        /^limits\[1\]$/,
      ],
      [[tokenBucket({ rate: 5 }), { kind: 'bucket' }], /^limits\[1\]/],
      [null, /^limits$/],
      // The fixed cost (4) would exceed the new capacity.
      [[tokenBucket({ rate: 3 }), slidingWindow({ limit: 9, window: 60_000, unit: 'calls' })], /^cost$/],
    ];
    for (const [limits, option] of bad) {
      let error: unknown;
      try {
        policy.setLimits(limits as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toMatch(option);
    }
    expect(policy.limits).toBe(before);
    // Another algorithm of the same kind is fine: a token bucket may become smooth.
    policy.setLimits([
      smooth({ rate: 5, burst: 4 }),
      slidingWindow({ limit: 1, window: 60_000, unit: 'calls' }),
    ]);
    expect(policy.limits[0]!.algorithm).toBe('smooth');
  });
});

describe('rateLimit.setLimits properties', () => {
  it('admits in arrival order, never more than the limit in force within a window, and loses nobody', async () => {
    const window = 100;
    type Step =
      | { kind: 'call'; maxWait: number }
      | { kind: 'set'; limit: number }
      | { kind: 'wait'; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('call' as const),
          maxWait: fc.integer({ min: 0, max: 400 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('set' as const), limit: fc.integer({ min: 1, max: 5 }) }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 80 }) }),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(step, { maxLength: 50 }),
        async (first, steps) => {
          const clock = new VirtualClock();
          const limitOf = (limit: number) => slidingWindow({ limit, window, segments: 5 });
          const policy = rateLimit({ limits: limitOf(first), clock });
          let limit = first;
          const admissions: { id: number; at: number; limit: number }[] = [];
          const settled = new Map<number, number>();
          const runs: Promise<void>[] = [];
          for (const [id, s] of steps.entries()) {
            if (s.kind === 'call') {
              const run = policy.execute(() => {
                admissions.push({ id, at: clock.now(), limit });
              });
              runs.push(
                run.then(
                  () => void settled.set(id, (settled.get(id) ?? 0) + 1),
                  (error) => {
                    expect(isRateLimitedError(error)).toBe(true);
                    settled.set(id, (settled.get(id) ?? 0) + 1);
                  },
                ),
              );
            } else if (s.kind === 'set') {
              limit = s.limit;
              policy.setLimits(limitOf(s.limit));
            } else {
              await clock.advance(s.ms);
            }
            await flushMicrotasks();
          }
          await clock.runAll();
          await Promise.all(runs);
          // Nobody lost, nobody settled twice, nothing left behind.
          const ids = steps.flatMap((s, id) => (s.kind === 'call' ? [id] : []));
          expect([...settled.keys()].sort((a, b) => a - b)).toEqual(ids);
          for (const n of settled.values()) expect(n).toBe(1);
          expect(policy.waiting()).toBe(0);
          expect(clock.pendingTimers).toBe(0);
          // FIFO: admitted in arrival order.
          const order = admissions.map((a) => a.id);
          expect(order).toEqual([...order].sort((a, b) => a - b));
          // Within any window ending at an admission, no more than the limit in force then.
          for (const [i, a] of admissions.entries()) {
            const inWindow = admissions.slice(0, i + 1).filter((b) => b.at > a.at - window).length;
            expect(inWindow).toBeLessThanOrEqual(a.limit);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
