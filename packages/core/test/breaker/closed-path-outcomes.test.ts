/**
 * A closed breaker's calls without listeners (the hot path, which hands the caller the function's own promise when
 * nothing can change it): a caller's abort is not counted, a throwing predicate reaches the caller, work a timeout
 * inside leaves running holds no probe slot, a listener added during a call hears of it. Also the open refusal's
 * message and `breakFor`'s accepted values. On a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { BrokenCircuitError, TimeoutError } from '../../src/errors.js';
import { pipeline } from '../../src/pipeline.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { timeout } from '../../src/timeout/index.js';
import { deferred, detachedErrors } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

describe('the closed path without listeners', () => {
  it("a caller's abort is not counted, even when the function then rejects with its own error", async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(1) });
    const controller = new AbortController();
    const gate = deferred<string>();
    const call = breaker.execute(() => gate.promise, { signal: controller.signal });
    const reason = new Error('caller left');
    controller.abort(reason);
    gate.reject(new Error('cancelled downstream'));
    await expect(call).rejects.toBe(reason);
    await flushMicrotasks();
    expect(breaker.state).toBe('closed');
  });

  it('a throwing handle or handleResult reaches the caller, and nothing is counted', async () => {
    const bug = new Error('bug in handle');
    const handled = circuitBreaker({
      clock: new VirtualClock(),
      strategy: consecutive(1),
      handle: () => {
        throw bug;
      },
    });
    await expect(handled.execute(boom)).rejects.toBe(bug);
    expect(handled.state).toBe('closed');
    const judged = circuitBreaker({
      clock: new VirtualClock(),
      strategy: consecutive(1),
      handleResult: () => {
        throw bug;
      },
    });
    await expect(judged.execute(ok)).rejects.toBe(bug);
    expect(judged.state).toBe('closed');
  });

  it('a listener added while a call runs hears of its outcome (a success of 0 ms, a throwing listener detached)', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(1) });
    const success = deferred<string>();
    const running = breaker.execute(() => success.promise);
    const durations: number[] = [];
    const off = breaker.on('success', ({ duration }) => durations.push(duration));
    success.resolve('ok');
    await running;
    expect(durations).toEqual([0]);
    off();

    const bug = new Error('listener bug');
    const errors = await detachedErrors(async () => {
      const failure = deferred<string>();
      const failing = breaker.execute(() => failure.promise);
      breaker.on('stateChange', () => {
        throw bug;
      });
      failure.reject(new Error('down'));
      await failing.catch(() => {});
      await flushMicrotasks();
    });
    expect(breaker.state).toBe('open');
    expect(errors).toContain(bug);
  });

  it('a throwing success listener added during a call is thrown detached; the caller still gets its value', async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(1) });
    const bug = new Error('listener bug');
    const errors = await detachedErrors(async () => {
      const late = deferred<string>();
      const running = breaker.execute(() => late.promise);
      breaker.on('success', () => {
        throw bug;
      });
      late.resolve('ok');
      expect(await running).toBe('ok');
      await flushMicrotasks();
    });
    expect(errors).toContain(bug);
  });

  it('work a timeout inside leaves running holds no probe slot, and its late rejection is handled', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 100 });
    const guarded = pipeline(breaker, timeout(50));
    const straggler = deferred<string>();
    const first = guarded.execute(() => straggler.promise); // ignores its signal
    await clock.advance(50);
    await expect(first).rejects.toBeInstanceOf(TimeoutError);
    expect(breaker.state).toBe('open');
    await clock.advance(100);
    expect(await guarded.execute(ok)).toBe('ok'); // the probe's slot is free
    expect(breaker.state).toBe('closed');
    straggler.reject(new Error('late'));
    await flushMicrotasks();
  });
});

describe('refusals and carried breaks', () => {
  it("an open circuit refuses with BrokenCircuitError's own message", async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock(), strategy: consecutive(1) });
    await breaker.execute(boom).catch(() => {});
    const refused = await breaker.execute(ok).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect((refused as Error).message).toBe('Execution prevented because the circuit breaker is open');
  });

  it('breakFor: 0 is a break (the next call probes); a negative, a string or Infinity is none', async () => {
    const answers: unknown[] = [0, -1, '100', Number.POSITIVE_INFINITY];
    const seen: string[] = [];
    for (const answer of answers) {
      const clock = new VirtualClock(1_000);
      const breaker = circuitBreaker({
        clock,
        strategy: consecutive(5),
        breakFor: () => answer as number,
      });
      await breaker.execute(boom).catch(() => {});
      seen.push(JSON.stringify(breaker.snapshot()));
    }
    const carried = JSON.parse(seen[0]!);
    expect(carried).toMatchObject({ state: 'halfOpen', breaks: 1 });
    for (const other of seen.slice(1)) {
      expect(JSON.parse(other)).toMatchObject({ state: 'closed', window: { failures: 1 } });
    }
  });

  it("a result that carries a break reports the call's duration in its success event", async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      breakFor: (outcome) => (!outcome.failed && outcome.value === 'busy' ? 1_000 : undefined),
    });
    const durations: number[] = [];
    breaker.on('success', ({ duration }) => durations.push(duration));
    const call = breaker.execute(async () => {
      await new Promise<void>((resolve) => clock.setTimer(resolve, 30));
      return 'busy';
    });
    await clock.advance(30);
    expect(await call).toBe('busy');
    expect(durations).toEqual([30]);
    expect(breaker.state).toBe('open');
  });

  it('[Symbol.dispose] stops the autoHalfOpen timer, like dispose()', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      autoHalfOpen: true,
      halfOpenAfter: 100,
    });
    await breaker.execute(boom).catch(() => {});
    expect(clock.pendingTimers).toBe(1);
    breaker[Symbol.dispose]();
    expect(clock.pendingTimers).toBe(0);
  });
});
