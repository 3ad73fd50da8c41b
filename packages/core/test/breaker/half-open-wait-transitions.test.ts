/**
 * halfOpenWait: callers parked behind a hung probe start over as soon as the circuit leaves half-open by any other
 * way than the probe's verdict (a reset, an isolation, a control, the probes' deadline), not when the probe at last
 * settles. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import {
  breakerControl,
  type CircuitBreakerOptions,
  circuitBreaker,
  consecutive,
} from '../../src/breaker/index.js';
import { BrokenCircuitError, IsolatedCircuitError } from '../../src/errors.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred, stateOf } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

/** A half-open breaker with parked callers, its one probe hung. */
async function parkedBehindHungProbe(options: Omit<CircuitBreakerOptions, 'clock'> = {}) {
  const clock = new VirtualClock();
  const breaker = circuitBreaker({
    clock,
    strategy: consecutive(1),
    halfOpenAfter: 100,
    halfOpenWait: true,
    ...options,
  });
  await breaker.execute(boom).catch(() => {});
  await clock.advance(100);
  const hung = deferred<string>();
  const probe = breaker.execute(() => hung.promise);
  const parked = breaker.execute(ok).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await flushMicrotasks();
  expect(await stateOf(parked)).toBe('pending');
  /** The parked caller's answer, which must have come without the probe settling. */
  const answer = async () => {
    await flushMicrotasks();
    expect(await stateOf(parked)).toBe('fulfilled');
    return parked;
  };
  return { clock, breaker, hung, probe, answer };
}

describe('parked callers when the circuit leaves half-open without a verdict', () => {
  it('reset: they run at once in the closed circuit', async () => {
    const { breaker, hung, probe, answer } = await parkedBehindHungProbe();
    breaker.reset();
    expect(await answer()).toEqual({ value: 'ok' });
    hung.resolve('late');
    await probe;
  });

  it('isolate: they are refused with IsolatedCircuitError', async () => {
    const { breaker, hung, probe, answer } = await parkedBehindHungProbe();
    const handle = breaker.isolate();
    expect(((await answer()) as { error: unknown }).error).toBeInstanceOf(IsolatedCircuitError);
    handle.dispose();
    hung.resolve('late');
    await probe;
  });

  it("a control's break: they are refused for it", async () => {
    const control = breakerControl();
    const { breaker, hung, probe, answer } = await parkedBehindHungProbe({ control });
    control.openFor(700);
    const { error } = (await answer()) as { error: unknown };
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect((error as BrokenCircuitError).retryAfterMs).toBe(700);
    hung.resolve('late');
    await probe;
    expect(breaker.state).toBe('open');
  });

  it("the probes' deadline on the autoHalfOpen timer: they are refused for the next break", async () => {
    const { clock, breaker, hung, probe, answer } = await parkedBehindHungProbe({
      maxHalfOpenDuration: 50,
      autoHalfOpen: true,
    });
    await clock.advance(50);
    const { error } = (await answer()) as { error: unknown };
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect((error as BrokenCircuitError).retryAfterMs).toBe(100);
    hung.resolve('late');
    await probe;
    breaker.dispose();
  });
});
