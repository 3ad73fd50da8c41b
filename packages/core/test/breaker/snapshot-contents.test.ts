/**
 * What `snapshot()` holds, field by field: a count window's outcomes oldest first with their slow bits, a time
 * window's slow calls, a series of breaks capped at what `initialState` accepts, and a half-open circuit restored
 * with every slot free and its probes untimed until the first one. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { circuitBreaker, consecutive, countWindow, timeWindow } from '../../src/breaker/index.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred, timedWork } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('snapshot contents', () => {
  it('a count window that wrapped saves its outcomes oldest first, each with its failed and slow bits', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: countWindow({ size: 3, minimumCalls: 3, failureRatio: 1 }),
      slowCallDuration: 50,
      slowCallRatio: 1,
    });
    const calls = [
      boom,
      ok,
      timedWork(clock, 50, { error: new Error('slow failure') }),
      timedWork(clock, 60),
    ];
    for (const call of calls) {
      const running = breaker.execute(call).catch(() => {});
      await clock.runAll();
      await running;
    }
    // The first failure left the ring; then ok (0), a slow failure (3), a slow success (2).
    expect(breaker.snapshot().window).toStrictEqual({ kind: 'countWindow', outcomes: [0, 3, 2] });
    expect(breaker.state).toBe('closed');
  });

  it("a time window saves each bucket's midpoint, calls, failures and slow calls", async () => {
    const clock = new VirtualClock(10_000);
    const breaker = circuitBreaker({
      clock,
      strategy: timeWindow({ duration: 1_000, buckets: 4, minimumCalls: 100 }),
      slowCallDuration: 50,
    });
    const slow = breaker.execute(timedWork(clock, 50)); // starts in the bucket [10000, 10250), ends in it
    await clock.advance(50);
    await slow;
    await breaker.execute(boom).catch(() => {});
    await clock.advance(250);
    await breaker.execute(ok);
    expect(breaker.snapshot().window).toStrictEqual({
      kind: 'timeWindow',
      buckets: [
        [10_125, 2, 1, 1],
        [10_375, 1, 0, 0],
      ],
    });
  });

  it('the breaks saved never exceed what initialState accepts (10000), so a snapshot always restores', async () => {
    const clock = new VirtualClock();
    const options = { clock, strategy: consecutive(1), halfOpenAfter: 10 };
    const breaker = circuitBreaker({
      ...options,
      initialState: {
        version: 1,
        state: 'halfOpen',
        breaks: 10_000,
        window: { kind: 'consecutive', failures: 0 },
      },
    });
    expect(breaker.state).toBe('halfOpen');
    await breaker.execute(boom).catch(() => {}); // the 10001st break
    const saved = breaker.snapshot();
    expect(saved).toMatchObject({ state: 'open', breaks: 10_000, openUntil: 10 });
    expect(circuitBreaker({ ...options, initialState: saved }).snapshot()).toStrictEqual(saved);
  });

  it('a restored half-open circuit has every probe slot free, its probes timed from the first of them', async () => {
    const clock = new VirtualClock(1_000);
    const breaker = circuitBreaker({
      clock,
      halfOpenProbes: 2,
      maxHalfOpenDuration: 100,
      initialState: {
        version: 1,
        state: 'halfOpen',
        breaks: 1,
        window: { kind: 'consecutive', failures: 0 },
      },
    });
    await clock.advance(500); // idle: untimed
    expect(breaker.state).toBe('halfOpen');
    const first = deferred<string>();
    const second = deferred<string>();
    const probes = [breaker.execute(() => first.promise), breaker.execute(() => second.promise)];
    await expect(breaker.execute(ok)).rejects.toMatchObject({ name: 'BrokenCircuitError' });
    await clock.advance(100);
    expect(breaker.state).toBe('open'); // the probes' time ran out
    first.resolve('late');
    second.resolve('late');
    await Promise.all(probes);
    expect(breaker.state).toBe('open');
  });
});
