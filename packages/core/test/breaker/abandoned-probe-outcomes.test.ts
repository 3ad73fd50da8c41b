/**
 * The outcome of a probe whose caller left at its abort: a late success still counts (it may close the circuit) but
 * is reported to no one, a late error counts as nothing and is not reported twice, a throwing predicate on a late
 * value is thrown detached. And a parked caller that left never runs its function. On a virtual clock.
 */
import { describe, expect, it, vi } from 'vitest';
import { type CircuitBreakerOptions, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

async function halfOpen(options: Omit<CircuitBreakerOptions, 'clock'> = {}) {
  const clock = new VirtualClock();
  const breaker = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 100, ...options });
  const events: string[] = [];
  breaker.on('success', () => events.push('success'));
  breaker.on('failure', ({ error }) => events.push(`failure ${(error as Error).message}`));
  await breaker.execute(boom).catch(() => {});
  await clock.advance(100);
  events.length = 0;
  return { clock, breaker, events };
}

/** Starts a probe with a signal, aborts its caller, and returns the probe's gate. */
async function abandonedProbe(breaker: ReturnType<typeof circuitBreaker>) {
  const gate = deferred<string>();
  const controller = new AbortController();
  const probe = breaker.execute(() => gate.promise, { signal: controller.signal });
  await flushMicrotasks();
  controller.abort(new Error('left'));
  await expect(probe).rejects.toThrow('left');
  return gate;
}

describe('a probe whose caller left', () => {
  it('a late success closes the circuit without a success event', async () => {
    const { breaker, events } = await halfOpen();
    const gate = await abandonedProbe(breaker);
    expect(events).toEqual(['failure left']);
    gate.resolve('late');
    await flushMicrotasks();
    expect(breaker.state).toBe('closed');
    expect(events).toEqual(['failure left']);
  });

  it('a late error counts as nothing and is not reported again', async () => {
    const { breaker, events } = await halfOpen();
    const gate = await abandonedProbe(breaker);
    gate.reject(new Error('late'));
    await flushMicrotasks();
    expect(breaker.state).toBe('halfOpen');
    expect(events).toEqual(['failure left']);
  });

  it('a throwing handleResult on a late value is thrown detached, and nothing is counted', async () => {
    const bug = new Error('bug in handleResult');
    const { breaker } = await halfOpen({
      handleResult: (value) => {
        if (value === 'late') throw bug;
        return false;
      },
    });
    const gate = await abandonedProbe(breaker);
    const detached: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
      detached.push(callback);
    });
    try {
      gate.resolve('late');
      await flushMicrotasks();
    } finally {
      spy.mockRestore();
    }
    expect(breaker.state).toBe('halfOpen');
    expect(detached).toHaveLength(1);
    expect(() => detached[0]!()).toThrow(bug);
  });

  it('a parked caller that left never runs its function, even once the circuit closes', async () => {
    const { breaker } = await halfOpen({ halfOpenWait: true });
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise);
    let ran = 0;
    const controller = new AbortController();
    const parked = breaker.execute(
      () => {
        ran++;
        return ok();
      },
      { signal: controller.signal },
    );
    await flushMicrotasks();
    controller.abort(new Error('gave up'));
    await expect(parked).rejects.toThrow('gave up');
    probe.resolve('up');
    await probing;
    await flushMicrotasks();
    expect(breaker.state).toBe('closed');
    expect(ran).toBe(0);
  });
});
