import { describe, expect, it } from 'vitest';
import {
  circuitBreaker,
  consecutive,
  constant,
  isInvalidOptionError,
  keyedPolicy,
  nextEvent,
  pipeline,
  type RetryEvent,
  retry,
  timeout,
} from '../src/index.js';
import { VirtualClock } from '../src/testing.js';
import { abortListeners, flaky, stateOf } from './support/helpers.js';

describe('nextEvent', () => {
  it('resolves with the payload of the next event, then stops listening', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 3, backoff: constant(10), clock });
    const next = nextEvent(policy, 'retry');
    expect(policy.events.listenerCount('retry')).toBe(1);
    const { fn } = flaky(2, 'ok');
    const result = policy.execute(fn);
    const event: RetryEvent = await next;
    expect(event).toMatchObject({ policy: 'retry', attempt: 1, delay: 10 });
    expect(policy.events.listenerCount('retry')).toBe(0);
    expect(policy.events.active).toBe(false);
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
  });

  it('with a filter, resolves with the first payload it accepts', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 5, backoff: constant(10), clock });
    const third = nextEvent(policy, 'retry', { filter: (e) => e.attempt === 3 });
    const result = policy.execute(flaky(3, 'ok').fn);
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
    expect((await third).attempt).toBe(3);
    expect(policy.events.listenerCount('retry')).toBe(0);
  });

  it('a filter that throws rejects with its error and stops listening', async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(0), clock });
    const oops = new Error('bad filter');
    const next = nextEvent(policy, 'retry', {
      filter: () => {
        throw oops;
      },
    });
    await policy.execute(flaky(1, 'ok').fn);
    await expect(next).rejects.toBe(oops);
    expect(policy.events.listenerCount('retry')).toBe(0);
  });

  it('an abort rejects promptly with the signal reason and removes both listeners', async () => {
    const policy = retry();
    const controller = new AbortController();
    const next = nextEvent(policy, 'giveUp', { signal: controller.signal });
    expect(abortListeners(controller.signal)).toBe(1);
    controller.abort('enough');
    expect(await stateOf(next)).toBe('rejected');
    await expect(next).rejects.toBe('enough');
    expect(abortListeners(controller.signal)).toBe(0);
    expect(policy.events.listenerCount('giveUp')).toBe(0);
    expect(policy.events.active).toBe(false);
  });

  it('an already aborted signal rejects at once without listening', async () => {
    const policy = retry();
    const reason = new Error('gone');
    const next = nextEvent(policy, 'retry', { signal: AbortSignal.abort(reason) });
    expect(policy.events.active).toBe(false);
    await expect(next).rejects.toBe(reason);
  });

  it('resolving removes the abort listener: 1 000 waits on one long-lived signal leave nothing behind', async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(0), clock });
    const controller = new AbortController();
    for (let i = 0; i < 1_000; i++) {
      const next = nextEvent(policy, 'retry', { signal: controller.signal });
      await policy.execute(flaky(1, 'ok').fn);
      await next;
    }
    expect(abortListeners(controller.signal)).toBe(0);
    expect(policy.events.active).toBe(false);
  });

  it("works on a pipeline (any layer's event) and on a keyed policy", async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ strategy: consecutive(1), clock });
    const chain = pipeline(retry({ maxAttempts: 1, clock }), breaker, timeout(1_000, { clock }));
    const opened = nextEvent(chain, 'stateChange', { filter: (e) => e.to === 'open' });
    await chain.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    expect(await opened).toMatchObject({ from: 'closed', to: 'open' });

    const keyed = keyedPolicy(() => retry({ backoff: constant(0), clock }));
    const retried = nextEvent(keyed, 'retry');
    await keyed.get('a').execute(flaky(1, 'ok').fn);
    expect((await retried).attempt).toBe(1);
  });

  it('refuses bad arguments with InvalidOptionError naming them, as a rejection', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => nextEvent(null as never, 'retry'), 'source'],
      [() => nextEvent(retry(), 'retry', { signal: 'soon' as never }), 'signal'],
      [() => nextEvent(retry(), 'retry', { filter: true as never }), 'filter'],
      [() => nextEvent(retry(), 'retry', 5 as never), 'options'],
    ];
    for (const [call, option] of cases) {
      const error = await call().catch((e: unknown) => e);
      expect(isInvalidOptionError(error) && error.option).toBe(option);
    }
  });

  it('types: only the events the source emits, payload typed by event', () => {
    // @ts-expect-error retry emits no stateChange
    void nextEvent(retry(), 'stateChange').catch(() => {});
    const typed: Promise<{ timeoutMs: number }> = nextEvent(timeout(10), 'timeout');
    void typed;
  });
});
