/**
 * adaptiveConcurrency's options at their bounds: the messages of the checks between options, a default maxLimit
 * that follows a minLimit above 1000, backoffRatio just inside (0, 1), and a queue of size 0 or a wait of 0 ms,
 * which refuse a waiter at once with ThrottledError saying why.
 */
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  isInvalidOptionError,
  isThrottledError,
  type RejectedEvent,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { thrown, timedWork as work } from '../support/helpers.js';

describe('adaptiveConcurrency: options at their bounds', () => {
  it('a maxLimit below minLimit names maxLimit and says both', () => {
    const error = thrown(() => adaptiveConcurrency({ minLimit: 10, maxLimit: 5 }));
    expect(isInvalidOptionError(error) && error.option).toBe('maxLimit');
    expect((error as Error).message).toBe(
      'Invalid option "maxLimit": expected at least minLimit (10), got 5',
    );
  });

  it('a backoffRatio outside (0, 1) says what is expected', () => {
    const error = thrown(() => adaptiveConcurrency({ backoffRatio: 1 }));
    expect(isInvalidOptionError(error) && error.option).toBe('backoffRatio');
    expect((error as Error).message).toContain(
      'Invalid option "backoffRatio": expected a number in (0, 1), got',
    );
  });

  it('accepts a backoffRatio just inside (0, 1), and uses it', async () => {
    expect(adaptiveConcurrency({ backoffRatio: 0.01 }).backoffRatio).toBe(0.01);
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ backoffRatio: 0.99, initialLimit: 10, clock });
    const error = Object.assign(new Error('503'), { status: 503 });
    const calls = Array.from({ length: 10 }, () =>
      policy.execute(work(clock, 10, { error })).catch(() => undefined),
    );
    await clock.runAll();
    await Promise.all(calls);
    expect(policy.limit).toBeCloseTo(9.9, 12);
  });

  it('the default maxLimit follows a minLimit above 1000 (rounded up), and so does the initial limit', () => {
    const policy = adaptiveConcurrency({ minLimit: 1500.5 });
    expect(policy.maxLimit).toBe(1501);
    expect(policy.limit).toBe(1500.5);
    expect(adaptiveConcurrency({ minLimit: 999.5 }).maxLimit).toBe(1000);
  });

  it('maxQueue 0 refuses every call that would wait, at once, as a full queue', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, maxQueue: 0, clock });
    const rejected: RejectedEvent[] = [];
    policy.on('rejected', (e) => rejected.push(e));
    const running = policy.execute(work(clock, 100));
    const error = await policy.execute(() => 'never').catch((e: unknown) => e);
    expect(isThrottledError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Request throttled client-side (adaptive concurrency): the queue is full',
    );
    expect(rejected).toEqual([{ policy: 'adaptiveConcurrency', reason: 'throttled' }]);
    await clock.runAll();
    await running;
  });

  it.each([
    ['maxWait 0', { maxWait: 0 }, undefined],
    ['a deadline now', {}, 0],
  ])('%s refuses a call that would wait, at once, as a queue timeout', async (_, options, deadline) => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ ...options, initialLimit: 1, maxLimit: 1, clock });
    const rejected: RejectedEvent[] = [];
    policy.on('rejected', (e) => rejected.push(e));
    const running = policy.execute(work(clock, 100));
    const error = await policy.execute(() => 'never', { deadline }).catch((e: unknown) => e);
    expect(isThrottledError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Request throttled client-side (adaptive concurrency): no time left to wait',
    );
    expect(rejected).toEqual([{ policy: 'adaptiveConcurrency', reason: 'queueTimeout' }]);
    expect(policy.queued).toBe(0);
    expect(clock.pendingTimers).toBe(1);
    await clock.runAll();
    await running;
  });

  it('a waiter that runs out of maxWait says how long it waited', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, maxWait: 250, clock });
    const running = policy.execute(work(clock, 1_000));
    const waiting = policy.execute(() => 'never').catch((e: unknown) => e);
    await clock.advance(250);
    const error = await waiting;
    expect(isThrottledError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Request throttled client-side (adaptive concurrency): waited 250 ms for a slot',
    );
    await clock.runAll();
    await running;
  });
});
