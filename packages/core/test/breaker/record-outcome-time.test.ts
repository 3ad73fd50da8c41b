/**
 * recordSuccess / recordFailure (deferred outcomes) count at the clock's now in a time window, like a returned
 * outcome: an outcome recorded late is not filed at time 0, where the window would drop it. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { circuitBreaker, timeWindow } from '../../src/breaker/index.js';
import { VirtualClock } from '../../src/testing.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));

function timed() {
  const clock = new VirtualClock(100_000);
  const breaker = circuitBreaker({
    clock,
    strategy: timeWindow({ duration: 1_000, buckets: 10, minimumCalls: 2, failureRatio: 0.5 }),
  });
  return { clock, breaker };
}

describe('deferred outcomes in a time window', () => {
  it('recordSuccess counts in the bucket of now: with a failure after it, the window holds two calls and opens', async () => {
    const { breaker } = timed();
    breaker.recordSuccess();
    expect(breaker.snapshot().window).toStrictEqual({ kind: 'timeWindow', buckets: [[100_050, 1, 0, 0]] });
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('recordFailure counts in the bucket of now, and ages out with it', async () => {
    const { breaker } = timed();
    expect(breaker.recordFailure(new Error('cut'))).toBe(true);
    expect(breaker.snapshot().window).toStrictEqual({ kind: 'timeWindow', buckets: [[100_050, 1, 1, 0]] });
    expect(breaker.recordFailure(new Error('cut'))).toBe(true);
    expect(breaker.state).toBe('open');

    const later = timed();
    later.breaker.recordFailure(new Error('cut'));
    await later.clock.advance(1_000); // the first failure is now as old as the window
    later.breaker.recordFailure(new Error('cut'));
    expect(later.breaker.state).toBe('closed');
  });
});
