/** breakFor: an outcome that carries its own break (a 429/503 with a server delay). On a virtual clock. */
import { describe, expect, it } from 'vitest';
import { exponential } from '../../src/backoff/index.js';
import { type BreakOutcome, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { BrokenCircuitError, InvalidOptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}`);
  }
}

const serverDelay = (outcome: BreakOutcome): number | undefined =>
  outcome.failed && outcome.error instanceof HttpError ? outcome.error.retryAfterMs : undefined;

describe('circuitBreaker({ breakFor })', () => {
  it('an error carrying a delay opens the circuit for exactly that long, whatever the strategy', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(5), breakFor: serverDelay });
    const changes: unknown[] = [];
    breaker.on('stateChange', ({ to, error }) => changes.push([to, (error as Error | undefined)?.message]));
    await breaker.execute(() => Promise.reject(new HttpError(429, 7_000))).catch(() => {});
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([['open', 'HTTP 429']]);
    const refused = await breaker.execute(async () => 'ok').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect((refused as BrokenCircuitError).retryAfterMs).toBe(7_000);
    await clock.advance(7_000);
    expect(breaker.state).toBe('halfOpen');
  });

  it('a result can carry a break too (a 503 response with Retry-After)', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      breakFor: (outcome) =>
        !outcome.failed && (outcome.value as { status: number }).status === 503 ? 2_000 : undefined,
    });
    expect(await breaker.execute(async () => ({ status: 503 }))).toEqual({ status: 503 });
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 2_000, breaks: 1 });
  });

  it('an outcome without a delay (or with a bad one) is judged as usual', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(2),
      breakFor: (outcome) => (outcome.failed ? (outcome.error as { ms?: number }).ms : undefined),
    });
    const fail = (ms?: number) =>
      breaker.execute(() => Promise.reject(Object.assign(new Error('x'), { ms })));
    await fail(Number.NaN).catch(() => {});
    await fail(-5).catch(() => {});
    expect(breaker.state).toBe('open'); // two plain failures: consecutive(2)
    expect(breaker.snapshot().openUntil).toBe(5_000); // the default break
  });

  it('a carried break counts in the series, and a probe carrying one reopens for it', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      halfOpenAfter: exponential({ initialDelay: 1_000, maxDelay: 60_000, jitter: 'none' }),
      breakFor: serverDelay,
    });
    await breaker.execute(() => Promise.reject(new HttpError(503, 300))).catch(() => {});
    await clock.advance(300);
    expect(breaker.state).toBe('halfOpen');
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    // The second break of the series: 2 000 ms (the first was carried).
    expect(breaker.snapshot()).toMatchObject({ state: 'open', breaks: 2, openUntil: 2_300 });
  });

  it('an error handle rejects is never asked', async () => {
    let asked = 0;
    const breaker = circuitBreaker({
      handle: () => false,
      breakFor: () => {
        asked++;
        return 1_000;
      },
    });
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    expect(asked).toBe(0);
    expect(breaker.state).toBe('closed');
  });

  it('checks the option', () => {
    expect(() => circuitBreaker({ breakFor: 5 as never })).toThrow(InvalidOptionError);
    expect(() => circuitBreaker({ breakFor: 5 as never })).toThrow(/breakFor/);
  });
});
