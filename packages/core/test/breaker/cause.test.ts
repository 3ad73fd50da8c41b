/** BrokenCircuitError's `cause`: the error that opened the circuit, and nothing when no error did. */
import { describe, expect, it } from 'vitest';
import { breakerControl, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { BrokenCircuitError, IsolatedCircuitError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

const ok = (): Promise<string> => Promise.resolve('ok');
const refusal = (promise: Promise<unknown>): Promise<BrokenCircuitError> =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(BrokenCircuitError);
      return error as BrokenCircuitError;
    },
  );

describe('BrokenCircuitError.cause', () => {
  it('is the error that opened the circuit, while open and while half-open and busy', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(2), halfOpenAfter: 100 });
    const first = new Error('first');
    const last = new Error('last');
    await breaker.execute(() => Promise.reject(first)).catch(() => {});
    await breaker.execute(() => Promise.reject(last)).catch(() => {});
    const open = await refusal(breaker.execute(ok));
    expect(open.cause).toBe(last);
    await clock.advance(100);
    let release!: () => void;
    const probe = breaker.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const busy = await refusal(breaker.execute(ok));
    expect(busy.message).toMatch(/half-open/);
    expect(busy.cause).toBe(last);
    release();
    await probe;
    expect(breaker.state).toBe('closed');
  });

  it('is the failed probe that reopened the circuit, then nothing once it closed', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 100 });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    await clock.advance(100);
    const probe = new Error('still down');
    await breaker.execute(() => Promise.reject(probe)).catch(() => {});
    expect((await refusal(breaker.execute(ok))).cause).toBe(probe);
    await clock.advance(200);
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    // A closed circuit keeps no error alive: the next opening carries its own.
    const next = new Error('again');
    await breaker.execute(() => Promise.reject(next)).catch(() => {});
    expect((await refusal(breaker.execute(ok))).cause).toBe(next);
  });

  it('is an error that carried its own break (breakFor)', async () => {
    const clock = new VirtualClock();
    const throttled = Object.assign(new Error('429'), { retryAfterMs: 3_000 });
    const breaker = circuitBreaker({
      clock,
      breakFor: (outcome) => (outcome.failed ? (outcome.error as typeof throttled).retryAfterMs : undefined),
    });
    await breaker.execute(() => Promise.reject(throttled)).catch(() => {});
    const refused = await refusal(breaker.execute(ok));
    expect(refused.cause).toBe(throttled);
    expect(refused.retryAfterMs).toBe(3_000);
  });

  it('is absent when no error opened it: a result, a slow call, a control, a snapshot', async () => {
    const clock = new VirtualClock();
    const byResult = circuitBreaker({ clock, strategy: consecutive(1), handleResult: (v) => v === 503 });
    await byResult.execute(() => 503);
    const slow = circuitBreaker({ clock, strategy: consecutive(1), slowCallDuration: 10 });
    const slowCall = slow.execute(() => new Promise<void>((resolve) => clock.setTimer(resolve, 10)));
    await clock.advance(10);
    await slowCall;
    const control = breakerControl();
    const controlled = circuitBreaker({ clock, control });
    control.openFor(1_000);
    const failing = circuitBreaker({ clock, strategy: consecutive(1) });
    await failing.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    const restored = circuitBreaker({ clock, initialState: failing.snapshot() });
    for (const breaker of [byResult, slow, controlled, restored]) {
      expect(breaker.state).toBe('open');
      const refused = await refusal(breaker.execute(ok));
      expect('cause' in refused).toBe(false);
    }
  });

  it('an isolated circuit refuses with IsolatedCircuitError, which has no cause', async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(1) });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    breaker.isolate();
    const refused = await breaker.execute(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IsolatedCircuitError);
    expect('cause' in (refused as Error)).toBe(false);
  });
});
