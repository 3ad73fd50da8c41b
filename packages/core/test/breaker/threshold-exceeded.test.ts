/** The `thresholdExceeded` event: a closed circuit's strategy reached its threshold. On a virtual clock. */
import { describe, expect, it } from 'vitest';
import {
  breakerControl,
  circuitBreaker,
  consecutive,
  countWindow,
  timeWindow,
} from '../../src/breaker/index.js';
import type { ThresholdExceededEvent } from '../../src/events.js';
import { VirtualClock } from '../../src/testing.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('thresholdExceeded', () => {
  it('is emitted with the window when failures in a row open the circuit, before the stateChange', async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(3) });
    const seen: string[] = [];
    const events: ThresholdExceededEvent[] = [];
    breaker.on('thresholdExceeded', (event) => {
      events.push(event);
      seen.push('exceeded');
    });
    breaker.on('stateChange', ({ to }) => seen.push(to));
    for (let i = 0; i < 3; i++) await breaker.execute(boom).catch(() => {});
    expect(events).toEqual([
      { policy: 'circuitBreaker', threshold: 'consecutiveFailures', calls: 3, failures: 3, slowCalls: 0 },
    ]);
    expect(seen).toEqual(['exceeded', 'open']);
  });

  it("names the failure ratio or the slow-call ratio a window reached, with the window's counts", async () => {
    const clock = new VirtualClock();
    const failing = circuitBreaker({
      clock,
      strategy: countWindow({ size: 4, minimumCalls: 4, failureRatio: 0.5 }),
    });
    const events: ThresholdExceededEvent[] = [];
    failing.on('thresholdExceeded', (event) => events.push(event));
    await failing.execute(ok);
    await failing.execute(boom).catch(() => {});
    await failing.execute(ok);
    await failing.execute(boom).catch(() => {});
    expect(events).toEqual([
      { policy: 'circuitBreaker', threshold: 'failureRatio', calls: 4, failures: 2, slowCalls: 0 },
    ]);

    const slow = circuitBreaker({
      clock,
      name: 'slow',
      strategy: timeWindow({ duration: 1_000, minimumCalls: 2, failureRatio: 0.9 }),
      slowCallDuration: 100,
      slowCallRatio: 0.5,
    });
    slow.on('thresholdExceeded', (event) => events.push(event));
    await slow.execute(ok);
    const call = slow.execute(() => new Promise<void>((resolve) => clock.setTimer(resolve, 100)));
    await clock.advance(100);
    await call;
    expect(events[1]).toEqual({
      policy: 'slow',
      threshold: 'slowCallRatio',
      calls: 2,
      failures: 0,
      slowCalls: 1,
    });
    expect(slow.state).toBe('open');
  });

  it('a failed probe is a half-open verdict, not a threshold: nothing is emitted', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 10 });
    let count = 0;
    breaker.on('thresholdExceeded', () => count++);
    await breaker.execute(boom).catch(() => {});
    await clock.advance(10);
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
    expect(count).toBe(1);
  });

  it('a breaker held closed by a control reports it once per hold and stays closed (metrics only)', async () => {
    const control = breakerControl();
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(2), control });
    const events: ThresholdExceededEvent[] = [];
    breaker.on('thresholdExceeded', (event) => events.push(event));
    control.forceClosed();
    for (let i = 0; i < 5; i++) await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('closed');
    expect(events.map((e) => e.failures)).toEqual([2]);
    control.release();
    control.forceClosed();
    await breaker.execute(boom).catch(() => {});
    expect(events.map((e) => e.failures)).toEqual([2, 6]);
  });
});
