/**
 * `stateChange` is emitted once per change of state, never for a transition that keeps the kind (a control's second
 * break, a reset of a closed circuit: resilience4j's "no events for internal transitions"), and carries `error` only
 * when an error opened the circuit. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { breakerControl, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import type { StateChangeEvent } from '../../src/events.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

const ok = (): Promise<string> => Promise.resolve('ok');

function observed(options: Parameters<typeof circuitBreaker>[0] = {}) {
  const clock = new VirtualClock(1_000);
  const breaker = circuitBreaker({ clock, ...options });
  const changes: StateChangeEvent[] = [];
  breaker.on('stateChange', (event) => changes.push(event));
  return { clock, breaker, changes };
}

describe('stateChange', () => {
  it('a second control break while open is a new break, not a change of state', async () => {
    const control = breakerControl();
    const { breaker, changes } = observed({ control });
    control.openFor(1_000);
    control.openFor(3_000);
    expect(changes).toStrictEqual([{ policy: 'circuitBreaker', from: 'closed', to: 'open' }]);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openUntil: 4_000 });
  });

  it('a reset of a closed circuit forgets its counts without an event; of an open one, it is open -> closed', async () => {
    const boom = new Error('boom');
    const { breaker, changes } = observed({ strategy: consecutive(2) });
    await breaker.execute(() => Promise.reject(boom)).catch(() => {});
    breaker.reset();
    expect(changes).toStrictEqual([]);
    await breaker.execute(() => Promise.reject(boom)).catch(() => {});
    expect(breaker.state).toBe('closed'); // the failure before the reset no longer counts
    await breaker.execute(() => Promise.reject(boom)).catch(() => {});
    breaker.reset();
    expect(changes).toStrictEqual([
      { policy: 'circuitBreaker', from: 'closed', to: 'open', error: boom },
      { policy: 'circuitBreaker', from: 'open', to: 'closed' },
    ]);
  });

  it('isolating an isolated circuit changes nothing; the last release closes it', () => {
    const { breaker, changes } = observed();
    const first = breaker.isolate();
    const second = breaker.isolate();
    first.dispose();
    first.dispose(); // releasing twice is harmless: the second handle still holds it
    expect(breaker.state).toBe('isolated');
    second[Symbol.dispose]();
    expect(breaker.state).toBe('closed');
    expect(changes.map(({ from, to }) => `${from}->${to}`)).toEqual(['closed->isolated', 'isolated->closed']);
  });

  it("a failed probe's error goes with halfOpen -> open; a probe's success and the probes' deadline carry none", async () => {
    const { clock, breaker, changes } = observed({
      strategy: consecutive(1),
      halfOpenAfter: 100,
      maxHalfOpenDuration: 50,
    });
    const first = new Error('first');
    const probe = new Error('probe');
    await breaker.execute(() => Promise.reject(first)).catch(() => {});
    await clock.advance(100);
    await breaker.execute(() => Promise.reject(probe)).catch(() => {});
    await clock.advance(100);
    const hung = deferred<string>();
    const running = breaker.execute(() => hung.promise);
    await clock.advance(50);
    expect(breaker.state).toBe('open'); // the probes' time is up
    hung.resolve('late');
    await running;
    await clock.advance(100);
    await breaker.execute(ok);
    expect(changes).toStrictEqual([
      { policy: 'circuitBreaker', from: 'closed', to: 'open', error: first },
      { policy: 'circuitBreaker', from: 'open', to: 'halfOpen' },
      { policy: 'circuitBreaker', from: 'halfOpen', to: 'open', error: probe },
      { policy: 'circuitBreaker', from: 'open', to: 'halfOpen' },
      { policy: 'circuitBreaker', from: 'halfOpen', to: 'open' },
      { policy: 'circuitBreaker', from: 'open', to: 'halfOpen' },
      { policy: 'circuitBreaker', from: 'halfOpen', to: 'closed' },
    ]);
  });
});
