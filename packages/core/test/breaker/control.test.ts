/** breakerControl: manual open / hold closed / release of one or several breakers. On a virtual clock. */
import { describe, expect, it } from 'vitest';
import { breakerControl, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { BrokenCircuitError, InvalidOptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('breakerControl', () => {
  it('openFor opens every breaker sharing the control for that long, then they probe', async () => {
    const clock = new VirtualClock(1_000);
    const control = breakerControl();
    const a = circuitBreaker({ clock, control });
    const b = circuitBreaker({ clock, control, name: 'b' });
    control.openFor(5_000);
    expect([a.state, b.state]).toEqual(['open', 'open']);
    const refused = await a.execute(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect((refused as BrokenCircuitError).retryAfterMs).toBe(5_000);
    await clock.advance(5_000);
    expect(b.state).toBe('halfOpen');
    expect(await b.execute(ok)).toBe('ok');
    expect(b.state).toBe('closed');
  });

  it('openUntil opens until an instant of the clock (a number or a Date)', async () => {
    const clock = new VirtualClock(10_000);
    const control = breakerControl();
    const breaker = circuitBreaker({ clock, control });
    control.openUntil(12_500);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ retryAfterMs: 2_500 });
    control.openUntil(new Date(13_000));
    await expect(breaker.execute(ok)).rejects.toMatchObject({ retryAfterMs: 3_000 });
    await clock.advance(3_000);
    expect(breaker.state).toBe('halfOpen');
  });

  it('forceClosed closes an open breaker and keeps it closed; outcomes are still counted and reported', async () => {
    const clock = new VirtualClock();
    const control = breakerControl();
    const breaker = circuitBreaker({ clock, control, strategy: consecutive(2) });
    const failures: unknown[] = [];
    breaker.on('failure', ({ error }) => failures.push(error));
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
    control.forceClosed();
    expect(breaker.state).toBe('closed');
    for (let i = 0; i < 5; i++) await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('closed');
    expect(failures).toHaveLength(7);
    expect(breaker.snapshot().window).toBeDefined();
    control.release();
    await breaker.execute(boom).catch(() => {}); // the strategy decides again
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('a breaker made after a command takes it at once; release leaves the state as it is', async () => {
    const clock = new VirtualClock();
    const control = breakerControl();
    control.openFor(1_000);
    const late = circuitBreaker({ clock, control });
    expect(late.state).toBe('open');
    control.release();
    expect(late.state).toBe('open');
    expect(control.mode).toBe('auto');
  });

  it('checks its arguments and the option', () => {
    const control = breakerControl();
    expect(() => control.openFor(-1)).toThrow(InvalidOptionError);
    expect(() => control.openFor(Number.POSITIVE_INFINITY)).toThrow(InvalidOptionError);
    expect(() => control.openUntil(Number.NaN)).toThrow(InvalidOptionError);
    expect(() => control.openUntil(new Date('nope'))).toThrow(InvalidOptionError);
    expect(() => circuitBreaker({ control: {} as never })).toThrow(/control/);
  });
});
