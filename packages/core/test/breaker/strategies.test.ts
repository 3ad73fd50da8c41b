import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CircuitBreakerOptions,
  circuitBreaker,
  consecutive,
  countWindow,
  timeWindow,
} from '../../src/breaker/index.js';
import { VirtualClock } from '../../src/testing.js';

/** One call's outcome: a handled failure, a success, or an error the breaker must not count. */
type Outcome = 'ok' | 'fail' | 'ignored';
const outcomeArb = fc.constantFrom<Outcome>('ok', 'fail', 'fail', 'ignored');

class Ignored extends Error {}

function makeBreaker(options: Omit<CircuitBreakerOptions, 'clock'>) {
  const clock = new VirtualClock();
  const breaker = circuitBreaker({
    clock,
    halfOpenAfter: 60_000,
    handle: (e) => !(e instanceof Ignored),
    ...options,
  });
  const call = (outcome: Outcome) =>
    breaker
      .execute(() => {
        if (outcome === 'ok') return 'ok';
        throw outcome === 'fail' ? new Error('fail') : new Ignored('ignored');
      })
      .catch(() => undefined);
  /** A call that takes `ms` on the virtual clock before it ends with `outcome`. */
  const timedCall = async (outcome: Outcome, ms: number) => {
    const run = breaker
      .execute(async () => {
        await new Promise<void>((resolve) => clock.setTimer(resolve, ms));
        if (outcome === 'ok') return 'ok';
        throw outcome === 'fail' ? new Error('fail') : new Ignored('ignored');
      })
      .catch(() => undefined);
    await clock.advance(ms);
    await run;
  };
  return { clock, breaker, call, timedCall };
}

/** The ratio rule every window shares (same arithmetic as the breaker, so float edges agree). */
function trips(calls: number, failures: number, minimumCalls: number, failureRatio: number): boolean {
  return calls >= minimumCalls && failures !== 0 && failures / calls >= failureRatio;
}

describe('consecutive(n)', () => {
  it('opens at the first run of n counted failures (ignored errors neither break nor extend a run)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(outcomeArb, { maxLength: 40 }),
        async (n, outcomes) => {
          const { breaker, call } = makeBreaker({ strategy: consecutive(n) });
          let run = 0;
          for (const outcome of outcomes) {
            await call(outcome);
            if (outcome === 'fail') run++;
            else if (outcome === 'ok') run = 0;
            expect(breaker.state).toBe(run >= n ? 'open' : 'closed');
            if (run >= n) return;
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('countWindow', () => {
  it('waits for minimumCalls, then opens on the failure ratio of the last `size` calls', async () => {
    const { breaker, call } = makeBreaker({
      strategy: countWindow({ size: 4, failureRatio: 0.5, minimumCalls: 3 }),
    });
    await call('fail');
    await call('fail');
    expect(breaker.state).toBe('closed'); // 2 calls < minimumCalls
    await call('ok');
    expect(breaker.state).toBe('open'); // 2 of 3
  });

  it('forgets outcomes pushed out of the window', async () => {
    const { breaker, call } = makeBreaker({
      strategy: countWindow({ size: 4, failureRatio: 0.75, minimumCalls: 4 }),
    });
    for (const o of ['fail', 'fail', 'ok', 'ok', 'ok', 'fail', 'ok'] as const) await call(o);
    expect(breaker.state).toBe('closed');
    await call('fail');
    await call('fail');
    expect(breaker.state).toBe('open'); // the window is now [fail, ok, fail, fail]: 3 of 4
  });

  it('matches a reference over random outcome sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0.1, 0.25, 0.3, 0.5, 2 / 3, 0.7, 1),
        fc.array(outcomeArb, { maxLength: 40 }),
        async (size, min, failureRatio, outcomes) => {
          const minimumCalls = Math.min(min, size);
          const { breaker, call } = makeBreaker({
            strategy: countWindow({ size, failureRatio, minimumCalls }),
          });
          const window: boolean[] = [];
          for (const outcome of outcomes) {
            await call(outcome);
            if (outcome !== 'ignored') {
              window.push(outcome === 'fail');
              if (window.length > size) window.shift();
            }
            const open = trips(window.length, window.filter(Boolean).length, minimumCalls, failureRatio);
            expect(breaker.state).toBe(open ? 'open' : 'closed');
            if (open) return;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('timeWindow', () => {
  it('a failure older than the window never counts (5-minute-old failures in a 5-second window)', async () => {
    const { breaker, clock, call } = makeBreaker({
      strategy: timeWindow({ duration: 5_000, failureRatio: 0.5, minimumCalls: 2 }),
    });
    await call('fail');
    await clock.advance(300_000);
    await call('fail');
    expect(breaker.state).toBe('closed');
    await call('fail');
    expect(breaker.state).toBe('open');
  });

  it('expires whole buckets: an outcome leaves at most one bucket before it is `duration` old', async () => {
    const { breaker, clock, call } = makeBreaker({
      strategy: timeWindow({ duration: 1_000, buckets: 10, failureRatio: 1, minimumCalls: 2 }),
    });
    await clock.advance(150); // bucket [100, 200)
    await call('fail');
    await clock.advance(949); // t = 1099: the failure is 949 ms old, its bucket is still in (99, 1099]
    await call('fail');
    expect(breaker.state).toBe('open');

    const second = makeBreaker({
      strategy: timeWindow({ duration: 1_000, buckets: 10, failureRatio: 1, minimumCalls: 2 }),
    });
    await second.clock.advance(150);
    await second.call('fail');
    await second.clock.advance(950); // t = 1100: bucket [100, 200) has left the window
    await second.call('fail');
    expect(second.breaker.state).toBe('closed');
  });

  it('a wall clock stepping back counts into the newest bucket', async () => {
    const clock = new VirtualClock(10_000);
    let now = 10_000;
    const steppable = {
      ...clock,
      now: () => now,
      setTimer: clock.setTimer.bind(clock),
      clearTimer: clock.clearTimer.bind(clock),
    };
    const breaker = circuitBreaker({
      clock: steppable,
      strategy: timeWindow({ duration: 1_000, failureRatio: 1, minimumCalls: 2 }),
    });
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    now = 5_000; // stepped back 5 s
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
  });

  it('matches a bucketed reference, which only ever counts outcomes younger than `duration`', async () => {
    const eventArb = fc.record({ gap: fc.integer({ min: 0, max: 700 }), outcome: outcomeArb });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 2_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(0.2, 0.5, 0.6, 1),
        fc.array(eventArb, { maxLength: 40 }),
        async (duration, buckets, minimumCalls, failureRatio, events) => {
          const { breaker, clock, call } = makeBreaker({
            strategy: timeWindow({ duration, buckets, minimumCalls, failureRatio }),
          });
          const width = duration / buckets;
          const seen: { at: number; failed: boolean }[] = [];
          for (const { gap, outcome } of events) {
            await clock.advance(gap);
            const now = clock.now();
            await call(outcome);
            if (outcome !== 'ignored') seen.push({ at: now, failed: outcome === 'fail' });
            if (outcome === 'ignored') {
              // Not recorded, so nothing is decided (even if expiry changed the ratio meanwhile).
              expect(breaker.state).toBe('closed');
              continue;
            }
            const current = Math.floor(now / width);
            const counted = seen.filter((e) => Math.floor(e.at / width) > current - buckets);
            for (const e of counted) expect(now - e.at).toBeLessThan(duration);
            const open = trips(
              counted.length,
              counted.filter((e) => e.failed).length,
              minimumCalls,
              failureRatio,
            );
            expect(breaker.state).toBe(open ? 'open' : 'closed');
            if (open) return;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('slow calls in windows', () => {
  const callArb = fc.record({ outcome: outcomeArb, ms: fc.constantFrom(0, 50, 99, 100, 250) });

  it.each(['countWindow', 'timeWindow'] as const)(
    '%s: slow and failed calls each trip on their own ratio, and both leave the window',
    async (kind) => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 1, max: 5 }),
          fc.constantFrom(0.5, 0.75, 1),
          fc.constantFrom(0.5, 2 / 3, 1),
          fc.array(callArb, { maxLength: 30 }),
          async (size, min, failureRatio, slowCallRatio, calls) => {
            const minimumCalls = Math.min(min, size);
            // A time window of `size` buckets of 100 ms: each call ends in a later bucket than most before it.
            const strategy =
              kind === 'countWindow'
                ? countWindow({ size, failureRatio, minimumCalls })
                : timeWindow({ duration: size * 100, buckets: size, failureRatio, minimumCalls });
            const { breaker, clock, timedCall } = makeBreaker({
              strategy,
              slowCallDuration: 100,
              slowCallRatio,
            });
            const seen: { at: number; failed: boolean; slow: boolean }[] = [];
            for (const { outcome, ms } of calls) {
              await timedCall(outcome, ms);
              if (outcome === 'ignored') continue;
              const now = clock.now();
              seen.push({ at: now, failed: outcome === 'fail', slow: ms >= 100 });
              const window =
                kind === 'countWindow'
                  ? seen.slice(-size)
                  : seen.filter((e) => Math.floor(e.at / 100) > Math.floor(now / 100) - size);
              const n = window.length;
              const slow = window.filter((e) => e.slow).length;
              const open =
                trips(n, window.filter((e) => e.failed).length, minimumCalls, failureRatio) ||
                (n >= minimumCalls && slow !== 0 && slow / n >= slowCallRatio);
              expect(breaker.state).toBe(open ? 'open' : 'closed');
              if (open) return;
            }
          },
        ),
        { numRuns: 150 },
      );
    },
  );

  it('a slow call pushed out of a count window no longer counts', async () => {
    const { breaker, timedCall } = makeBreaker({
      strategy: countWindow({ size: 2, minimumCalls: 2, failureRatio: 1 }),
      slowCallDuration: 100,
      slowCallRatio: 1,
    });
    await timedCall('ok', 100); // slow, but only 1 call
    await timedCall('ok', 0); // [slow, fast]: 1/2
    await timedCall('ok', 0); // [fast, fast]
    await timedCall('ok', 100); // [fast, slow]: 1/2
    expect(breaker.state).toBe('closed');
    await timedCall('ok', 100); // [slow, slow]
    expect(breaker.state).toBe('open');
  });
});
