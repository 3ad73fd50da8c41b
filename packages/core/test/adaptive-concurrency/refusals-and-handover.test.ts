/**
 * What a refusal does besides lowering the limit, and a slot handed over to a caller who aborts at that moment:
 * only a positive delay hint pauses (none with maxPause 0, none without a hint or with a hint of 0), a refused call
 * keeps its slot for the rest of a service time counted from when it was sent, and frees it at once (no timer) when
 * it ran that long; a success that leaves the limit where it was reports no change; a waiter whose caller aborts
 * just as it is handed a slot gives the slot back at once and is reported with the caller's reason.
 */
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  type FailureEvent,
  type LimitChangeEvent,
  type PausedEvent,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { overloaded, timedWork as work } from '../support/helpers.js';

describe('adaptiveConcurrency: refusals', () => {
  it.each([
    ['a hint with maxPause 0', { maxPause: 0 }, 500],
    ['no hint', {}, undefined],
    ['a hint of 0', {}, 0],
  ])('a refusal with %s does not pause', async (_, options, hint) => {
    const clock = new VirtualClock(1_000);
    const policy = adaptiveConcurrency({ ...options, initialLimit: 10, initialRtt: 10, clock });
    const paused: PausedEvent[] = [];
    policy.on('paused', (e) => paused.push(e));
    const refused = policy.execute(work(clock, 5, { error: overloaded(hint) })).catch(() => undefined);
    await clock.runAll();
    await refused;
    expect(paused).toEqual([]);
    expect(policy.stats().paused).toBe(false);
  });

  it('a refused call keeps its slot for the rest of a service time from when it was sent', async () => {
    const clock = new VirtualClock(1_000);
    const policy = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, initialRtt: 100, clock });
    const refused = policy.execute(work(clock, 30, { error: overloaded() })).catch(() => undefined);
    await clock.advanceTo(1_030);
    await refused;
    expect(policy.inFlight).toBe(1);
    await clock.advanceTo(1_099);
    expect(policy.inFlight).toBe(1);
    await clock.advanceTo(1_100);
    expect(policy.inFlight).toBe(0);
  });

  it('a refused call that ran a whole service time frees its slot at once, with no timer for it', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, initialRtt: 100, clock });
    const pendingAtRefusal: number[] = [];
    policy.on('failure', (_: FailureEvent) => {
      pendingAtRefusal.push(clock.pendingTimers);
    });
    const exactly = policy.execute(work(clock, 100, { error: overloaded() })).catch(() => undefined);
    await clock.runAll();
    await exactly;
    const longer = policy.execute(work(clock, 150, { error: overloaded() })).catch(() => undefined);
    await clock.runAll();
    await longer;
    expect(pendingAtRefusal).toEqual([0, 0]);
    expect(policy.inFlight).toBe(0);
  });

  it('a success that leaves the limit where it was reports no change', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 4, maxLimit: 4, clock });
    const changes: LimitChangeEvent[] = [];
    policy.onLimitChange((e) => changes.push(e));
    // One call at a time uses less than half of 4 slots: the limit does not move.
    await Promise.all([policy.execute(work(clock, 10)), clock.advance(10)]);
    // Four at once at maxLimit: it cannot move either.
    const calls = Array.from({ length: 4 }, () => policy.execute(work(clock, 10)));
    await clock.runAll();
    await Promise.all(calls);
    expect(policy.limit).toBe(4);
    expect(changes).toEqual([]);
  });
});

describe('adaptiveConcurrency: a slot handed over as the caller aborts', () => {
  it('is given back at once to the next waiter, and the call is reported with the caller’s reason', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e.error));
    const controller = new AbortController();
    const reason = new Error('gave up just then');
    // The running call's success hands its slot to the waiter, then this listener aborts the waiter's caller.
    policy.on('success', () => controller.abort(reason));
    const running = policy.execute(work(clock, 100));
    let called = false;
    const aborted = policy
      .execute(
        () => {
          called = true;
        },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    const next = policy.execute(() => clock.now());
    await clock.runAll();
    await running;
    expect(await aborted).toBe(reason);
    expect(called).toBe(false);
    expect(failures).toEqual([reason]);
    expect(await next).toBeGreaterThanOrEqual(100);
    expect(policy.inFlight).toBe(0);
    expect(policy.queued).toBe(0);
  });
});
