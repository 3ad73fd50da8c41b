/**
 * What a BreakerControl's command does to the circuit it finds: a closed circuit held closed keeps its counts, an
 * isolated one stays isolated, a break imposed on an open or half-open circuit stays in its series of breaks (a
 * growing halfOpenAfter goes on growing), one imposed on a closed circuit starts a new series. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { linear } from '../../src/backoff/index.js';
import { breakerControl, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { type BrokenCircuitError, IsolatedCircuitError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

/** A breaker opened by each failure, with breaks of 100, 200, 300... ms in a row. */
function growing() {
  const clock = new VirtualClock(0);
  const control = breakerControl();
  const breaker = circuitBreaker({
    clock,
    control,
    strategy: consecutive(1),
    halfOpenAfter: linear({ initialDelay: 100, step: 100, maxDelay: 1_000 }),
  });
  const retryAfter = async () =>
    ((await breaker.execute(ok).catch((error: unknown) => error)) as BrokenCircuitError).retryAfterMs;
  return { clock, control, breaker, retryAfter };
}

describe('a control command and the state it finds', () => {
  it('forceClosed on a closed circuit keeps the failures counted so far', async () => {
    const control = breakerControl();
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(3), control });
    const changes: string[] = [];
    breaker.on('stateChange', ({ from, to }) => changes.push(`${from}->${to}`));
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {});
    control.forceClosed();
    expect(breaker.snapshot().window).toStrictEqual({ kind: 'consecutive', failures: 2 });
    control.release();
    await breaker.execute(boom).catch(() => {}); // the third in a row
    expect(changes).toEqual(['closed->open']);
  });

  it('forceClosed leaves an isolated circuit isolated; once released, it stays held closed', async () => {
    const control = breakerControl();
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(1), control });
    const handle = breaker.isolate();
    control.forceClosed();
    expect(breaker.state).toBe('isolated');
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(IsolatedCircuitError);
    control.openFor(1_000); // an isolated circuit is not opened either
    expect(breaker.state).toBe('isolated');
    control.forceClosed();
    handle.dispose();
    expect(breaker.state).toBe('closed');
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('closed');
  });

  it('openFor after forceClosed opens: the new command lifts the hold first', async () => {
    const clock = new VirtualClock(0);
    const control = breakerControl();
    const breaker = circuitBreaker({ clock, control });
    control.forceClosed();
    control.openFor(250);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 250 });
    control.openFor(0); // a hold of 0: the next call probes
    expect(breaker.state).toBe('halfOpen');
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it("a break imposed on an open circuit stays in its series: the next failed probe's break is the second", async () => {
    const { clock, control, breaker, retryAfter } = growing();
    await breaker.execute(boom).catch(() => {});
    expect(await retryAfter()).toBe(100);
    control.openFor(50);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 50, breaks: 1 });
    control.release();
    await clock.advance(50);
    await breaker.execute(boom).catch(() => {}); // a failed probe
    expect(breaker.snapshot()).toMatchObject({ state: 'open', breaks: 2 });
    expect(await retryAfter()).toBe(200);
  });

  it('a break imposed on a half-open circuit stays in its series too', async () => {
    const { clock, control, breaker, retryAfter } = growing();
    await breaker.execute(boom).catch(() => {});
    await clock.advance(100);
    expect(breaker.state).toBe('halfOpen');
    control.openFor(30);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 130, breaks: 1 });
    control.release();
    await clock.advance(30);
    await breaker.execute(boom).catch(() => {});
    expect(await retryAfter()).toBe(200);
  });

  it('a break imposed on a closed circuit starts a series: the next failed probe takes the first break', async () => {
    const { clock, control, breaker, retryAfter } = growing();
    control.openFor(40);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 40, breaks: 0 });
    control.release();
    await clock.advance(40);
    await breaker.execute(boom).catch(() => {});
    expect(breaker.snapshot()).toMatchObject({ state: 'open', breaks: 1 });
    expect(await retryAfter()).toBe(100);
  });

  it('openUntil holds until the instant itself, whatever the clock says at the command', async () => {
    const clock = new VirtualClock(500);
    const control = breakerControl();
    const breaker = circuitBreaker({ clock, control });
    control.openUntil(2_000);
    await clock.advance(1_000);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ retryAfterMs: 500 });
    control.openUntil(100); // already past: the next call probes
    expect(breaker.state).toBe('halfOpen');
  });
});
