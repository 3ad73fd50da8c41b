/**
 * Half-open probe slots and verdicts, in the scenarios of resilience4j's state machine tests (four probes), kept to
 * Bulwark's documented semantics where they differ: the verdict comes as soon as it cannot change (resilience4j
 * waits for every permitted probe), and by default every probe must succeed. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { type CircuitBreakerOptions, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { BrokenCircuitError } from '../../src/errors.js';
import type { RejectedEvent } from '../../src/events.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

const ignored = (): Promise<never> => Promise.reject(new Error('ignored'));
const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

/** A breaker with four probe slots, opened by one failure and now half-open. */
async function halfOpenWithFour(options: Omit<CircuitBreakerOptions, 'clock'> = {}) {
  const clock = new VirtualClock(0);
  const breaker = circuitBreaker({
    clock,
    strategy: consecutive(1),
    halfOpenAfter: 5_000,
    halfOpenProbes: 4,
    handle: (error) => (error as Error).message !== 'ignored',
    ...options,
  });
  await breaker.execute(boom).catch(() => {});
  await clock.advance(5_000);
  expect(breaker.state).toBe('halfOpen');
  return { clock, breaker };
}

describe('half-open probe slots (resilience4j scenarios)', () => {
  it('admits four probes at once and refuses a fifth at once, with no retry time; a new half-open state has four again', async () => {
    const { clock, breaker } = await halfOpenWithFour();
    const rejected: RejectedEvent[] = [];
    breaker.on('rejected', (event) => rejected.push(event));
    const gates = [0, 1, 2, 3].map(() => deferred<string>());
    const probes = gates.map((gate) => breaker.execute(() => gate.promise));
    const fifth = await breaker.execute(ok).catch((error: unknown) => error);
    expect(fifth).toBeInstanceOf(BrokenCircuitError);
    expect((fifth as BrokenCircuitError).message).toBe(
      'Execution prevented because the circuit breaker is half-open and its probes are taken',
    );
    expect((fifth as BrokenCircuitError).retryAfterMs).toBeUndefined();
    expect(rejected).toStrictEqual([
      { policy: 'circuitBreaker', reason: 'halfOpenBusy', retryAfterMs: undefined },
    ]);
    gates[0]!.reject(new Error('boom')); // the first failure reopens (every probe must succeed by default)
    await probes[0]!.catch(() => {});
    expect(breaker.state).toBe('open');
    for (const gate of gates.slice(1)) gate.resolve('late');
    await Promise.all(probes.slice(1));
    await clock.advance(5_000);
    const again = [0, 1, 2, 3].map(() => deferred<string>());
    const next = again.map((gate) => breaker.execute(() => gate.promise));
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    for (const gate of again) gate.resolve('ok');
    expect(await Promise.all(next)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(breaker.state).toBe('closed');
  });

  it('errors handle ignores free their slots without a verdict; four successes then close', async () => {
    const { breaker } = await halfOpenWithFour();
    for (let i = 0; i < 4; i++) await breaker.execute(ignored).catch(() => {});
    expect(breaker.state).toBe('halfOpen');
    for (let i = 0; i < 3; i++) {
      await breaker.execute(ok);
      expect(breaker.state).toBe('halfOpen');
    }
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });

  it('three successes, an ignored error, then a failure: reopens by default (resilience4j closes at 25 % < 50 %)', async () => {
    const { breaker } = await halfOpenWithFour();
    for (let i = 0; i < 3; i++) await breaker.execute(ok);
    await breaker.execute(ignored).catch(() => {});
    expect(breaker.state).toBe('halfOpen');
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('with halfOpenFailureRatio 0.5 the same probes close at the third success, before the failure runs', async () => {
    const { breaker } = await halfOpenWithFour({ halfOpenFailureRatio: 0.5 });
    await breaker.execute(ok);
    await breaker.execute(ok);
    expect(breaker.state).toBe('halfOpen');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });

  it('with halfOpenFailureRatio 0.5, failure, failure reopens at once (resilience4j waits for all four probes)', async () => {
    const { breaker } = await halfOpenWithFour({ halfOpenFailureRatio: 0.5 });
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('halfOpen');
    await breaker.execute(ok);
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('a failure then three successes closes, as in resilience4j', async () => {
    const { breaker } = await halfOpenWithFour({ halfOpenFailureRatio: 0.5 });
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(ok);
    await breaker.execute(ok);
    expect(breaker.state).toBe('halfOpen');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });
});
