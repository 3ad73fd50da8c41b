/**
 * What adaptiveConcurrency reports: an increase as a limitChange without an error, `success` and `failure` timed
 * from the call's arrival (its wait in the queue included), a waiter the caller gave up on reported
 * with the caller's reason, `stats()` as one snapshot of limit, calls in flight and queued, service time and pause;
 * `onLimitChange` refuses what is not a function, and returns a remover.
 */
import { describe, expect, it } from 'vitest';
import { adaptiveConcurrency, isInvalidOptionError, type LimitChangeEvent } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { thrown, timedWork as work } from '../support/helpers.js';

describe('adaptiveConcurrency: reporting', () => {
  it('an increase is a limitChange with from, to and reason, and no error', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 2, clock, name: 'ac' });
    const changes: LimitChangeEvent[] = [];
    policy.onLimitChange((e) => changes.push(e));
    await Promise.all([policy.execute(work(clock, 10)), clock.advance(10)]);
    expect(changes).toEqual([{ policy: 'ac', from: 2, to: 3, reason: 'increase' }]);
    expect('error' in changes[0]!).toBe(false);
  });

  it('onLimitChange returns a remover', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 2, clock });
    const changes: LimitChangeEvent[] = [];
    const off = policy.onLimitChange((e) => changes.push(e));
    off();
    await Promise.all([policy.execute(work(clock, 10)), clock.advance(10)]);
    expect(policy.limit).toBe(3);
    expect(changes).toEqual([]);
  });

  it('onLimitChange refuses a listener that is not a function, naming it', () => {
    const error = thrown(() => adaptiveConcurrency().onLimitChange('log' as never));
    expect(isInvalidOptionError(error) && error.option).toBe('listener');
    expect((error as Error).message).toContain('onLimitChange(listener): expected a function, got "log"');
  });

  it('success and failure are timed from arrival, the wait in the queue included', async () => {
    const clock = new VirtualClock(1_000);
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    const seen: string[] = [];
    policy.on('success', (e) => seen.push(`success:${e.duration}`));
    policy.on('failure', (e) => seen.push(`failure:${e.duration}:${(e.error as Error).message}`));
    const first = policy.execute(work(clock, 50));
    const second = policy.execute(work(clock, 30, { error: new Error('no') }));
    second.catch(() => {});
    expect(policy.queued).toBe(1);
    await clock.advance(80);
    await first;
    await expect(second).rejects.toThrow('no');
    expect(seen).toEqual(['success:50', 'failure:80:no']);
  });

  it("a waiter the caller gave up on is reported with the caller's reason, timed from arrival", async () => {
    const clock = new VirtualClock(1_000);
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    const failures: { error: unknown; duration: number }[] = [];
    policy.on('failure', (e) => failures.push({ error: e.error, duration: e.duration }));
    const running = policy.execute(work(clock, 50));
    const controller = new AbortController();
    const waiting = policy.execute(work(clock, 10), { signal: controller.signal });
    waiting.catch(() => {});
    await clock.advance(20);
    controller.abort('bye');
    await expect(waiting).rejects.toBe('bye');
    await clock.advance(30);
    await running;
    expect(failures).toEqual([{ error: 'bye', duration: 20 }]);
    expect(policy.inFlight).toBe(0);
  });

  it('stats() is one snapshot of the limit, calls in flight and queued, service time and pause', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock, initialRtt: 40 });
    expect(policy.stats()).toEqual({ limit: 1, inFlight: 0, queued: 0, rtt: undefined, paused: false });
    const calls = [policy.execute(work(clock, 10)), policy.execute(work(clock, 10))];
    expect(policy.stats()).toEqual({ limit: 1, inFlight: 1, queued: 1, rtt: undefined, paused: false });
    await clock.runAll();
    await Promise.all(calls);
    expect(policy.stats()).toEqual({ limit: 1, inFlight: 0, queued: 0, rtt: 10, paused: false });
    const hinted = policy.execute(
      work(clock, 5, { error: Object.assign(new Error('busy'), { status: 503, retryAfterMs: 100 }) }),
    );
    hinted.catch(() => {});
    await clock.advance(5);
    expect(policy.stats().paused).toBe(true);
    await clock.advance(100);
    expect(policy.stats().paused).toBe(false);
  });
});
