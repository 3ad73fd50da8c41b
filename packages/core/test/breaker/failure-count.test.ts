/** timeWindow's failureCount: N failures within a period open the circuit, whatever the ratio. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { circuitBreaker, timeWindow } from '../../src/breaker/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('timeWindow({ failureCount })', () => {
  it('opens at the Nth failure within the period, however many calls succeeded', async () => {
    const clock = new VirtualClock();
    const strategy = timeWindow({ duration: 60_000, failureCount: 3 });
    expect(strategy.failureRatio).toBeUndefined();
    const breaker = circuitBreaker({ clock, strategy });
    for (let i = 0; i < 100; i++) await breaker.execute(ok);
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('closed'); // 2 of 102: no ratio, no minimumCalls
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('failures older than the period no longer count', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: timeWindow({ duration: 1_000, buckets: 10, failureCount: 2 }),
    });
    await breaker.execute(boom).catch(() => {});
    await clock.advance(1_000);
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('closed');
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('with a ratio too, whichever is reached first opens; the event names it', async () => {
    const clock = new VirtualClock();
    const strategy = timeWindow({ duration: 1_000, failureCount: 3, failureRatio: 0.5, minimumCalls: 2 });
    expect(strategy.failureRatio).toBe(0.5);
    const byRatio = circuitBreaker({ clock, strategy });
    const thresholds: string[] = [];
    byRatio.on('thresholdExceeded', ({ threshold }) => thresholds.push(threshold));
    await byRatio.execute(ok);
    await byRatio.execute(boom).catch(() => {});
    expect(byRatio.state).toBe('open');
    const byCount = circuitBreaker({ clock, strategy: timeWindow({ failureCount: 2, failureRatio: 1 }) });
    byCount.on('thresholdExceeded', ({ threshold }) => thresholds.push(threshold));
    await byCount.execute(ok);
    await byCount.execute(boom).catch(() => {});
    await byCount.execute(boom).catch(() => {});
    expect(byCount.state).toBe('open');
    expect(thresholds).toEqual(['failureRatio', 'failureCount']);
  });

  it('refuses a count that is not an integer >= 1', () => {
    for (const failureCount of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => timeWindow({ failureCount })).toThrow(InvalidOptionError);
      expect(() => timeWindow({ failureCount })).toThrow(/failureCount/);
    }
  });

  it('property: trips exactly when the failures of the live slices reach the count', () => {
    const steps = fc.array(fc.record({ advance: fc.integer({ min: 0, max: 400 }), failed: fc.boolean() }), {
      maxLength: 60,
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), steps, (count, events) => {
        const strategy = timeWindow({ duration: 1_000, buckets: 4, failureCount: count });
        const tracker = strategy.start(undefined);
        const failures: number[] = []; // slice of each failure
        let now = 0;
        for (const { advance, failed } of events) {
          now += advance;
          const slice = Math.floor(now / 250);
          if (failed) failures.push(slice);
          const live = failures.filter((s) => s > slice - 4).length;
          const tripped = tracker.record(failed, false, now);
          expect(tripped).toBe(failed && live >= count);
          if (tripped) {
            expect(tracker.stats()).toMatchObject({ threshold: 'failureCount', failures: live });
            tracker.clear();
            failures.length = 0;
          }
        }
      }),
    );
  });
});
