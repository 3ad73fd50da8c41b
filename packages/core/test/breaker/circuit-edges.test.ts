/**
 * Edges of the circuit's transitions and of what a breaker keeps: the probes' deadline starts with the first probe
 * only, no timer is armed without a deadline, a hold closed blocks the fleet's and a carried break, a control starts
 * in 'auto', strategies are frozen, a restored window keeps what it saved, and the snapshot limits. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import {
  type BreakStats,
  breakerControl,
  type CircuitSync,
  circuitBreaker,
  consecutive,
  countWindow,
  type SharedCircuit,
  timeWindow,
} from '../../src/breaker/index.js';
import { isInvalidOptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred, thrown, timedWork } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));

describe('the probes and their deadline', () => {
  it('the deadline runs from the first probe: a second probe admitted later does not extend it', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      halfOpenAfter: 100,
      halfOpenProbes: 2,
      maxHalfOpenDuration: 100,
    });
    await breaker.execute(boom).catch(() => {});
    await clock.advance(100);
    const gates = [deferred<string>(), deferred<string>()];
    const first = breaker.execute(() => gates[0]!.promise);
    await clock.advance(60);
    const second = breaker.execute(() => gates[1]!.promise);
    await clock.advance(40);
    expect(breaker.state).toBe('open');
    for (const gate of gates) gate.resolve('late');
    await Promise.all([first, second]);
  });

  it('autoHalfOpen arms no timer for a probe without maxHalfOpenDuration, nor for a restored half-open circuit', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      halfOpenAfter: 100,
      autoHalfOpen: true,
    });
    await breaker.execute(boom).catch(() => {});
    await clock.advance(100);
    expect(breaker.state).toBe('halfOpen');
    const gate = deferred<string>();
    const probe = breaker.execute(() => gate.promise);
    expect(clock.pendingTimers).toBe(0);
    gate.resolve('up');
    await probe;
    const restored = circuitBreaker({
      clock,
      autoHalfOpen: true,
      initialState: {
        version: 1,
        state: 'halfOpen',
        breaks: 1,
        window: { kind: 'consecutive', failures: 0 },
      },
    });
    expect(restored.state).toBe('halfOpen');
    expect(clock.pendingTimers).toBe(0);
  });

  it('probes out of time reopen with breakDuration told of no calls: a failure ratio of 0, not NaN', async () => {
    const clock = new VirtualClock();
    const seen: BreakStats[] = [];
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      halfOpenAfter: 100,
      maxHalfOpenDuration: 10,
      breakDuration: (stats) => {
        seen.push(stats);
        return stats.halfOpenAfter;
      },
    });
    await breaker.execute(boom).catch(() => {});
    await clock.advance(100);
    const gate = deferred<string>();
    const probe = breaker.execute(() => gate.promise);
    await clock.advance(10);
    expect(breaker.state).toBe('open');
    expect(seen[1]).toStrictEqual({
      calls: 0,
      failures: 0,
      failureRatio: 0,
      breaks: 2,
      halfOpenAttempts: 1,
      halfOpenAfter: 100,
    });
    gate.resolve('late');
    await probe;
  });
});

describe('a hold closed', () => {
  it("blocks the fleet's break and a carried break; forceClosed closes a half-open circuit", async () => {
    const clock = new VirtualClock();
    const control = breakerControl();
    let link: SharedCircuit | undefined;
    const sync: CircuitSync = {
      attach: (circuit) => {
        link = circuit;
      },
      opened: () => {},
      closed: () => {},
      acquireProbe: async () => ({ release: () => {} }),
    };
    const breaker = circuitBreaker({
      clock,
      control,
      sync,
      strategy: consecutive(1),
      halfOpenAfter: 100,
      breakFor: (outcome) => (outcome.failed ? 500 : undefined),
    });
    control.openFor(0);
    expect(breaker.state).toBe('halfOpen');
    control.forceClosed();
    expect(breaker.state).toBe('closed');
    link!.open(1_000, 1);
    expect(breaker.state).toBe('closed');
    await breaker.execute(boom).catch(() => {}); // carries a break of 500 ms
    expect(breaker.state).toBe('closed');
    expect(breakerControl().mode).toBe('auto');
  });
});

describe('a carried break from an earlier state', () => {
  it('an outcome admitted before a reset carries no break into the new closed state', async () => {
    const breaker = circuitBreaker({
      clock: new VirtualClock(),
      breakFor: (outcome) => (outcome.failed ? 500 : undefined),
    });
    const gate = deferred<string>();
    const call = breaker.execute(() => gate.promise);
    breaker.reset();
    gate.reject(new Error('429'));
    await call.catch(() => {});
    expect(breaker.state).toBe('closed');
  });
});

describe('what strategies and snapshots keep', () => {
  it('strategies are frozen: one value can be shared by any number of breakers', () => {
    for (const strategy of [consecutive(3), countWindow(), timeWindow()]) {
      expect(Object.isFrozen(strategy)).toBe(true);
    }
  });

  it('a consecutive count restored from a larger threshold stops one short of it', () => {
    const breaker = circuitBreaker({
      clock: new VirtualClock(),
      strategy: consecutive(3),
      initialState: { version: 1, state: 'closed', breaks: 0, window: { kind: 'consecutive', failures: 10 } },
    });
    expect(breaker.snapshot().window).toStrictEqual({ kind: 'consecutive', failures: 2 });
  });

  it('a restored time window keeps its slow calls; a closed or half-open snapshot has no openUntil', async () => {
    const clock = new VirtualClock(10_000);
    const strategy = timeWindow({ duration: 1_000, buckets: 4, minimumCalls: 100 });
    const breaker = circuitBreaker({ clock, strategy, slowCallDuration: 50 });
    const slow = breaker.execute(timedWork(clock, 50));
    await clock.advance(50);
    await slow;
    const saved = breaker.snapshot();
    expect(saved).toStrictEqual({
      version: 1,
      state: 'closed',
      breaks: 0,
      window: { kind: 'timeWindow', buckets: [[10_125, 1, 0, 1]] },
    });
    const restored = circuitBreaker({ clock, strategy, slowCallDuration: 50, initialState: saved });
    expect(restored.snapshot()).toStrictEqual(saved);
    const halfOpen = circuitBreaker({
      clock,
      initialState: {
        version: 1,
        state: 'halfOpen',
        breaks: 1,
        window: { kind: 'consecutive', failures: 0 },
      },
    });
    expect('openUntil' in halfOpen.snapshot()).toBe(false);
  });

  const valid = { version: 1, state: 'closed', breaks: 0 } as const;
  const refused = (window: unknown) =>
    thrown(() => circuitBreaker({ initialState: { ...valid, window } as never }));

  it('snapshot limits: at most 1000000 outcomes and 1000 buckets of four counts, slow calls <= calls', () => {
    const outcomes = new Array(1_000_000).fill(0);
    expect(refused({ kind: 'countWindow', outcomes })).toBeUndefined();
    expect(isInvalidOptionError(refused({ kind: 'countWindow', outcomes: [...outcomes, 0] }))).toBe(true);
    const buckets = Array.from({ length: 1_000 }, (_, i) => [i, 1, 0, 0]);
    expect(refused({ kind: 'timeWindow', buckets })).toBeUndefined();
    expect(isInvalidOptionError(refused({ kind: 'timeWindow', buckets: [...buckets, [0, 1, 0, 0]] }))).toBe(
      true,
    );
    for (const bucket of [[0, 1, 0, 2], [0, 1, 0, 0, 5], {}, 'x']) {
      expect(isInvalidOptionError(refused({ kind: 'timeWindow', buckets: [bucket] }))).toBe(true);
    }
    expect(isInvalidOptionError(refused({ kind: 'timeWindow' }))).toBe(true);
  });

  it('a custom halfOpenAfter backoff may have a maxDelay of 0, but not be a function', () => {
    const zero = { start: () => ({ next: () => 0 }), maxDelay: 0 };
    expect(circuitBreaker({ halfOpenAfter: zero as never }).halfOpenAfter).toBe(zero);
    const callable = Object.assign(() => 0, zero);
    expect(isInvalidOptionError(thrown(() => circuitBreaker({ halfOpenAfter: callable as never })))).toBe(
      true,
    );
  });
});
