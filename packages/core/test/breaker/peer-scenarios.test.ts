/**
 * Scenarios from resilience4j's and Polly's breaker tests, through Bulwark's public API: windows reaching their
 * thresholds call by call, the break statistics across closes, the retry time after a failed probe, a hold closed
 * handed back. Where Bulwark's documented semantics differ, the test pins Bulwark's and says so. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import {
  type BreakStats,
  breakerControl,
  circuitBreaker,
  consecutive,
  countWindow,
  timeWindow,
} from '../../src/breaker/index.js';
import { BrokenCircuitError } from '../../src/errors.js';
import type { ThresholdExceededEvent } from '../../src/events.js';
import { VirtualClock } from '../../src/testing.js';
import { timedWork } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('windows reaching their thresholds (resilience4j)', () => {
  it('a count window of 5 decides only once full: 3 failures of 5 (60 %) open it', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: countWindow({ size: 5, failureRatio: 0.5 }) });
    const exceeded: ThresholdExceededEvent[] = [];
    breaker.on('thresholdExceeded', (event) => exceeded.push(event));
    for (let i = 0; i < 3; i++) await breaker.execute(boom).catch(() => {});
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed'); // 4 calls: below minimumCalls (min(size, 10) = 5)
    await breaker.execute(ok);
    expect(breaker.state).toBe('open');
    expect(exceeded).toStrictEqual([
      { policy: 'circuitBreaker', threshold: 'failureRatio', calls: 5, failures: 3, slowCalls: 0 },
    ]);
  });

  it('a time window of 20 s: 2 failures of 5 (40 %) stay closed, the third (3 of 6: 50 %) opens', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: timeWindow({ duration: 20_000, buckets: 20, minimumCalls: 5, failureRatio: 0.5 }),
    });
    const exceeded: ThresholdExceededEvent[] = [];
    breaker.on('thresholdExceeded', (event) => exceeded.push(event));
    for (const call of [ok, ok, ok, boom, boom]) {
      await breaker.execute(call).catch(() => {});
      await clock.advance(1_000);
    }
    expect(breaker.state).toBe('closed');
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
    expect(exceeded).toStrictEqual([
      { policy: 'circuitBreaker', threshold: 'failureRatio', calls: 6, failures: 3, slowCalls: 0 },
    ]);
  });

  it('slow calls: 3 slow of 5 (60 %) open a count window whose failures (40 %) are below their ratio', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: countWindow({ size: 5, failureRatio: 0.5 }),
      slowCallDuration: 4_000,
      slowCallRatio: 0.5,
    });
    const exceeded: ThresholdExceededEvent[] = [];
    breaker.on('thresholdExceeded', (event) => exceeded.push(event));
    const calls = [
      timedWork(clock, 5_000, { error: new Error('slow failure') }),
      timedWork(clock, 5_000),
      timedWork(clock, 100, { error: new Error('fast failure') }),
      timedWork(clock, 100),
      timedWork(clock, 5_000),
    ];
    for (const [i, call] of calls.entries()) {
      const running = breaker.execute(call).catch(() => {});
      await clock.runAll();
      await running;
      expect(breaker.state).toBe(i < 4 ? 'closed' : 'open');
    }
    expect(exceeded).toStrictEqual([
      { policy: 'circuitBreaker', threshold: 'slowCallRatio', calls: 5, failures: 2, slowCalls: 3 },
    ]);
  });
});

describe("a time window's contents as time passes (Polly's rolling health metrics)", () => {
  it('counts the calls of the last duration only: a pair of calls every 2 s in a 10 s window', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: timeWindow({ duration: 10_000, buckets: 10, failureRatio: 1, minimumCalls: 1_000 }),
    });
    const health = () => {
      const window = breaker.snapshot().window;
      if (window.kind !== 'timeWindow') throw new Error('not a time window');
      const calls = window.buckets.reduce((sum, [, n]) => sum + n, 0);
      const failures = window.buckets.reduce((sum, [, , f]) => sum + f, 0);
      return [calls, failures];
    };
    const seen: number[][] = [];
    for (let i = 0; i < 5; i++) {
      await breaker.execute(i < 2 ? boom : ok).catch(() => {});
      await breaker.execute(ok);
      await clock.advance(2_000);
      seen.push(health());
    }
    await clock.advance(2_000);
    seen.push(health());
    // Calls exactly `duration` old no longer count (the pair made at 0 is gone at 10 s).
    expect(seen).toEqual([
      [2, 1],
      [4, 2],
      [6, 2],
      [8, 2],
      [8, 1],
      [6, 0],
    ]);
    expect(breaker.state).toBe('closed');
  });
});

describe('breaks in a series (Polly)', () => {
  it('halfOpenAttempts counts the half-open states that reopened, and starts over once the circuit closed', async () => {
    const clock = new VirtualClock();
    const seen: BreakStats[] = [];
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      halfOpenAfter: 100,
      breakDuration: (stats) => {
        seen.push(stats);
        return stats.halfOpenAfter;
      },
    });
    const failedProbes = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await clock.advance(100);
        await breaker.execute(boom).catch(() => {});
      }
    };
    await breaker.execute(boom).catch(() => {});
    await failedProbes(4);
    await clock.advance(100);
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    await breaker.execute(boom).catch(() => {});
    await failedProbes(2);
    expect(seen.map((s) => s.halfOpenAttempts)).toEqual([0, 1, 2, 3, 4, 0, 1, 2]);
    expect(seen.map((s) => s.breaks)).toEqual([1, 2, 3, 4, 5, 1, 2, 3]);
    // A failed probe's statistics are the probes judged: one call, one failure.
    expect(seen[1]).toStrictEqual({
      calls: 1,
      failures: 1,
      failureRatio: 1,
      breaks: 2,
      halfOpenAttempts: 1,
      halfOpenAfter: 100,
    });
  });

  it("after a failed probe, a refusal's retryAfterMs is the new break's remaining time; then probes close it", async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 1_000 });
    await breaker.execute(boom).catch(() => {});
    await clock.advance(1_000);
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
    await clock.advance(1);
    const refused = await breaker.execute(ok).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect((refused as BrokenCircuitError).retryAfterMs).toBe(999);
    await clock.advance(2_000);
    expect(breaker.state).toBe('halfOpen');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });
});

describe('a hold closed, handed back (resilience4j METRICS_ONLY)', () => {
  it('outcomes counted during the hold still count after release: the next failure opens', async () => {
    // resilience4j clears its metrics when it leaves METRICS_ONLY; Bulwark's release() hands the breaker back "in
    // the state it is in now", its window included (docs of BreakerControl.release and forceClosed).
    const control = breakerControl();
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(3), control });
    const changes: string[] = [];
    breaker.on('stateChange', ({ from, to }) => changes.push(`${from}->${to}`));
    control.forceClosed();
    for (let i = 0; i < 5; i++) await breaker.execute(boom).catch(() => {});
    expect(changes).toEqual([]);
    expect(breaker.snapshot().window).toStrictEqual({ kind: 'consecutive', failures: 5 });
    control.release();
    expect(breaker.state).toBe('closed');
    await breaker.execute(boom).catch(() => {});
    expect(changes).toEqual(['closed->open']);
  });
});
