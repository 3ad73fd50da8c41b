/** maxHalfOpenDuration: probes that do not decide in time send the circuit back to open. On a virtual clock. */
import { describe, expect, it } from 'vitest';
import { circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { BrokenCircuitError, InvalidOptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

function deferredCall(): { run: () => Promise<string>; succeed: () => void } {
  let succeed!: () => void;
  const pending = new Promise<string>((resolve) => (succeed = () => resolve('late')));
  return { run: () => pending, succeed };
}

async function opened(clock: VirtualClock, options: Parameters<typeof circuitBreaker>[0] = {}) {
  const breaker = circuitBreaker({
    clock,
    strategy: consecutive(1),
    halfOpenAfter: 100,
    maxHalfOpenDuration: 50,
    ...options,
  });
  const changes: string[] = [];
  breaker.on('stateChange', ({ from, to }) => changes.push(`${from}->${to}`));
  await breaker.execute(boom).catch(() => {});
  await clock.advance(100);
  return { breaker, changes };
}

describe('maxHalfOpenDuration', () => {
  it('a probe still running at the deadline: the next call finds the circuit open again, its late success counts for nothing', async () => {
    const clock = new VirtualClock();
    const { breaker, changes } = await opened(clock);
    const hung = deferredCall();
    const probe = breaker.execute(hung.run);
    await clock.advance(49);
    expect(breaker.state).toBe('halfOpen');
    await clock.advance(1);
    const refused = await breaker.execute(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect((refused as BrokenCircuitError).retryAfterMs).toBe(100); // the next break, from now
    hung.succeed();
    expect(await probe).toBe('late'); // the caller still gets its value
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['closed->open', 'open->halfOpen', 'halfOpen->open']);
  });

  it('a verdict that comes after the deadline reopens the circuit instead of deciding', async () => {
    const clock = new VirtualClock();
    const { breaker, changes } = await opened(clock, { halfOpenProbes: 2 });
    await breaker.execute(ok); // one of two successes needed
    const slow = deferredCall();
    const probe = breaker.execute(slow.run);
    await clock.advance(60);
    slow.succeed();
    await probe;
    expect(changes.at(-1)).toBe('halfOpen->open');
    expect(breaker.state).toBe('open');
  });

  it('reading the state after the deadline reports open; probes that decide in time close it as usual', async () => {
    const clock = new VirtualClock();
    const { breaker } = await opened(clock);
    const hung = deferredCall();
    void breaker.execute(hung.run);
    await clock.advance(50);
    expect(breaker.state).toBe('open');
    hung.succeed();
    await clock.advance(100);
    expect(breaker.state).toBe('halfOpen');
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('an idle half-open circuit is untimed: the time starts with its first probe', async () => {
    const clock = new VirtualClock();
    const { breaker } = await opened(clock);
    await clock.advance(10_000);
    expect(breaker.state).toBe('halfOpen');
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('must be a finite number > 0', () => {
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '50']) {
      expect(() => circuitBreaker({ maxHalfOpenDuration: value as number })).toThrow(InvalidOptionError);
      expect(() => circuitBreaker({ maxHalfOpenDuration: value as number })).toThrow(/maxHalfOpenDuration/);
    }
  });
});
