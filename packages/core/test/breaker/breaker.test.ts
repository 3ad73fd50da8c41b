import { describe, expect, it } from 'vitest';
import { type Backoff, constant, exponential, linear } from '../../src/backoff/index.js';
import {
  type CircuitBreakerOptions,
  circuitBreaker,
  consecutive,
  countWindow,
  timeWindow,
} from '../../src/breaker/index.js';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  InvalidOptionError,
  IsolatedCircuitError,
  isBrokenCircuitError,
  RateLimitedError,
  ThrottledError,
  TimeoutError,
} from '../../src/errors.js';
import type { PolicyEvents } from '../../src/events.js';
import * as core from '../../src/index.js';
import { pipeline } from '../../src/pipeline.js';
import { retry } from '../../src/retry/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { timeout } from '../../src/timeout/index.js';
import { abortListeners, deferred, stateOf } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

function setup(options: Omit<CircuitBreakerOptions, 'clock'> = {}) {
  const clock = new VirtualClock(1_000);
  const breaker = circuitBreaker({ clock, ...options });
  const events: Record<string, unknown[]> = {};
  for (const name of ['success', 'failure', 'stateChange', 'rejected'] as const) {
    events[name] = [];
    breaker.on(name, (payload: PolicyEvents[typeof name][0]) => events[name]!.push(payload));
  }
  const transitions = () =>
    (events.stateChange as { from: string; to: string }[]).map((e) => `${e.from}->${e.to}`);
  return { clock, breaker, events, transitions };
}

async function failTimes(breaker: ReturnType<typeof circuitBreaker>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await expect(breaker.execute(boom)).rejects.toThrow('boom');
}

describe('circuitBreaker: options', () => {
  it('is exported from the core barrel', () => {
    expect(core.circuitBreaker).toBe(circuitBreaker);
    expect(core.consecutive).toBe(consecutive);
    expect(core.countWindow).toBe(countWindow);
    expect(core.timeWindow).toBe(timeWindow);
  });

  it('has documented defaults', () => {
    const breaker = circuitBreaker();
    expect(breaker.name).toBe('circuitBreaker');
    expect(breaker.state).toBe('closed');
    expect(breaker.halfOpenAfter).toBe(5_000);
    expect(breaker.halfOpenProbes).toBe(1);
    expect(breaker.slowCallDuration).toBeUndefined();
    expect(breaker.strategy).toMatchObject({ kind: 'consecutive', threshold: 5 });
    expect(countWindow()).toMatchObject({ size: 100, failureRatio: 0.5, minimumCalls: 10 });
    expect(countWindow({ size: 4 })).toMatchObject({ minimumCalls: 4 });
    expect(timeWindow()).toMatchObject({
      duration: 30_000,
      failureRatio: 0.5,
      minimumCalls: 10,
      buckets: 10,
    });
  });

  const invalid: [string, () => unknown][] = [
    ['strategy', () => circuitBreaker({ strategy: {} as never })],
    ['halfOpenAfter', () => circuitBreaker({ halfOpenAfter: -1 })],
    ['halfOpenAfter', () => circuitBreaker({ halfOpenAfter: Number.NaN })],
    ['halfOpenAfter', () => circuitBreaker({ halfOpenAfter: Number.POSITIVE_INFINITY })],
    ['halfOpenAfter', () => circuitBreaker({ halfOpenAfter: { start: () => ({}) } as never })],
    ['halfOpenAfter', () => circuitBreaker({ halfOpenAfter: '5s' as never })],
    ['halfOpenProbes', () => circuitBreaker({ halfOpenProbes: 0 })],
    ['halfOpenProbes', () => circuitBreaker({ halfOpenProbes: 1.5 })],
    ['handle', () => circuitBreaker({ handle: true as never })],
    ['handleResult', () => circuitBreaker({ handleResult: 'x' as never })],
    ['slowCallDuration', () => circuitBreaker({ slowCallDuration: 0 })],
    ['slowCallDuration', () => circuitBreaker({ slowCallDuration: Number.POSITIVE_INFINITY })],
    ['slowCallRatio', () => circuitBreaker({ strategy: countWindow(), slowCallRatio: 0.5 })],
    ['slowCallRatio', () => circuitBreaker({ slowCallDuration: 10, slowCallRatio: 0.5 })],
    [
      'slowCallRatio',
      () => circuitBreaker({ strategy: countWindow(), slowCallDuration: 10, slowCallRatio: 0 }),
    ],
    [
      'slowCallRatio',
      () => circuitBreaker({ strategy: countWindow(), slowCallDuration: 10, slowCallRatio: 2 }),
    ],
    ['threshold', () => consecutive(0)],
    ['threshold', () => consecutive(2.5)],
    ['size', () => countWindow({ size: 0 })],
    ['size', () => countWindow({ size: 2_000_000 })],
    ['failureRatio', () => countWindow({ failureRatio: 0 })],
    ['failureRatio', () => countWindow({ failureRatio: 1.1 })],
    ['failureRatio', () => timeWindow({ failureRatio: Number.NaN })],
    ['minimumCalls', () => countWindow({ size: 5, minimumCalls: 6 })],
    ['minimumCalls', () => timeWindow({ minimumCalls: 0 })],
    ['duration', () => timeWindow({ duration: 0 })],
    ['duration', () => timeWindow({ duration: Number.POSITIVE_INFINITY })],
    ['buckets', () => timeWindow({ buckets: 0 })],
    ['buckets', () => timeWindow({ buckets: 1001 })],
  ];
  it.each(invalid)('rejects a bad %s at construction with InvalidOptionError', (option, build) => {
    let thrown: unknown;
    try {
      build();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe(option);
  });
});

describe('circuitBreaker: consecutive strategy', () => {
  it('opens after n consecutive failures and then rejects without calling fn', async () => {
    const { breaker, events, transitions } = setup({ strategy: consecutive(3), halfOpenAfter: 1_000 });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(transitions()).toEqual(['closed->open']);
    expect((events.stateChange![0] as { error: Error }).error.message).toBe('boom');

    let called = 0;
    const error = await breaker
      .execute(() => {
        called++;
        return 'never';
      })
      .catch((e: unknown) => e);
    expect(called).toBe(0);
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect((error as BrokenCircuitError).retryAfterMs).toBe(1_000);
    expect(events.rejected).toEqual([
      { policy: 'circuitBreaker', reason: 'circuitOpen', retryAfterMs: 1_000 },
    ]);
  });

  it('a success in between starts the count again', async () => {
    const { breaker } = setup({ strategy: consecutive(3) });
    await failTimes(breaker, 2);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('counts a synchronous throw and a sync return like async ones', async () => {
    const { breaker } = setup({ strategy: consecutive(2) });
    await expect(
      breaker.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(breaker.execute(() => 42)).resolves.toBe(42);
    await expect(
      breaker.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breaker.state).toBe('closed');
  });

  it('retryAfterMs counts down to the moment a probe is allowed', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), halfOpenAfter: 10_000 });
    await failTimes(breaker, 1);
    await clock.advance(2_500);
    const error = (await breaker.execute(ok).catch((e: unknown) => e)) as BrokenCircuitError;
    expect(error.retryAfterMs).toBe(7_500);
    await clock.advance(7_499);
    expect(((await breaker.execute(ok).catch((e: unknown) => e)) as BrokenCircuitError).retryAfterMs).toBe(1);
    await clock.advance(1);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });
});

describe('circuitBreaker: the closed fast path (no listener, predicate or signal)', () => {
  it("hands the caller the function's own promise and has counted the outcome when the caller resumes", async () => {
    const breaker = circuitBreaker({ strategy: consecutive(1) });
    const failing = Promise.reject(new Error('boom'));
    const returned = breaker.execute(() => failing);
    expect(returned).toBe(failing);
    let stateSeen: string | undefined;
    await returned.catch(() => {
      stateSeen = breaker.state;
    });
    expect(stateSeen).toBe('open');
  });

  it('a success resets the consecutive count before the caller resumes', async () => {
    const breaker = circuitBreaker({ strategy: consecutive(2) });
    await breaker.execute(boom).catch(() => {});
    const states: string[] = [];
    await breaker.execute(ok).then(() => states.push(breaker.state));
    await breaker.execute(boom).catch(() => states.push(breaker.state));
    expect(states).toEqual(['closed', 'closed']);
    await breaker.execute(boom).catch(() => states.push(breaker.state));
    expect(states).toEqual(['closed', 'closed', 'open']);
  });

  it('a sync throw is counted and reaches the caller as a rejection', async () => {
    const breaker = circuitBreaker({ strategy: consecutive(1) });
    const error = await breaker
      .execute(() => {
        throw new Error('sync');
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('sync');
    expect(breaker.state).toBe('open');
  });
});

describe('circuitBreaker: deferred results (recordSuccess, recordFailure)', () => {
  const started = { stream: true };
  const deferResult = (value: unknown) => value === started;

  it('a deferred result counts as nothing until its outcome is recorded', async () => {
    const { breaker, events } = setup({ strategy: consecutive(2), deferResult });
    await breaker.execute(boom).catch(() => {});
    expect(await breaker.execute(() => started)).toBe(started);
    // Not a success: the failure count was not reset.
    breaker.recordFailure(new Error('cut'));
    expect(breaker.state).toBe('open');
    expect(events.success).toHaveLength(1);
  });

  it('recordSuccess resets a consecutive count and closes a half-open circuit whose probe was deferred', async () => {
    const { breaker, clock, transitions } = setup({
      strategy: consecutive(2),
      deferResult,
      halfOpenAfter: 1_000,
    });
    await failTimes(breaker, 1);
    breaker.recordSuccess();
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    await clock.advance(1_000);
    await breaker.execute(() => started);
    expect(breaker.state).toBe('halfOpen');
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(transitions()).toEqual(['closed->open', 'open->halfOpen', 'halfOpen->closed']);
  });

  it('rejects a deferResult that is not a function', () => {
    expect(() => circuitBreaker({ deferResult: 1 as never })).toThrow(InvalidOptionError);
  });

  it('counts like a failed call while closed and opens at the threshold', async () => {
    const { breaker, transitions } = setup({ strategy: consecutive(2), halfOpenAfter: 1_000 });
    await breaker.execute(ok);
    expect(breaker.recordFailure(new Error('cut'))).toBe(true);
    expect(breaker.state).toBe('closed');
    expect(breaker.recordFailure(new Error('cut'))).toBe(true);
    expect(breaker.state).toBe('open');
    expect(transitions()).toEqual(['closed->open']);
  });

  it('reopens a half-open circuit and is ignored while open or isolated', async () => {
    const { breaker, clock, transitions } = setup({ strategy: consecutive(1), halfOpenAfter: 1_000 });
    await failTimes(breaker, 1);
    expect(breaker.recordFailure(new Error('late'))).toBe(false);
    await clock.advance(1_000);
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.recordFailure(new Error('late'))).toBe(true);
    expect(breaker.state).toBe('open');
    expect(transitions()).toEqual(['closed->open', 'open->halfOpen', 'halfOpen->open']);
    breaker.reset();
    const isolation = breaker.isolate();
    expect(breaker.recordFailure(new Error('late'))).toBe(false);
    isolation.dispose();
    expect(breaker.state).toBe('closed');
  });

  it('asks the handle predicate, and ignores local rejections by default', () => {
    const strict = setup({ strategy: consecutive(1), handle: (e) => (e as Error).message === 'counts' });
    expect(strict.breaker.recordFailure(new Error('4xx'))).toBe(false);
    expect(strict.breaker.state).toBe('closed');
    const plain = setup({ strategy: consecutive(1) });
    expect(plain.breaker.recordFailure(new BulkheadRejectedError('full'))).toBe(false);
    expect(plain.breaker.state).toBe('closed');
  });
});

describe('circuitBreaker: open -> half-open -> closed/open', () => {
  it('reports halfOpen once the break is over, without waiting for a call', async () => {
    const { breaker, clock, transitions } = setup({ strategy: consecutive(1), halfOpenAfter: 1_000 });
    await failTimes(breaker, 1);
    await clock.advance(999);
    expect(breaker.state).toBe('open');
    await clock.advance(1);
    expect(breaker.state).toBe('halfOpen');
    expect(transitions()).toEqual(['closed->open', 'open->halfOpen']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a successful probe closes the circuit and a failed one reopens it for a new break', async () => {
    const { breaker, clock, transitions } = setup({ strategy: consecutive(1), halfOpenAfter: 1_000 });
    await failTimes(breaker, 1);
    await clock.advance(1_000);
    await failTimes(breaker, 1); // the probe fails
    expect(breaker.state).toBe('open');
    const error = (await breaker.execute(ok).catch((e: unknown) => e)) as BrokenCircuitError;
    expect(error.retryAfterMs).toBe(1_000);
    await clock.advance(1_000);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(transitions()).toEqual([
      'closed->open',
      'open->halfOpen',
      'halfOpen->open',
      'open->halfOpen',
      'halfOpen->closed',
    ]);
  });

  it('rejects the other callers at once while the probe runs (never parks them)', async () => {
    const { breaker, clock, events } = setup({ strategy: consecutive(1), halfOpenAfter: 1_000 });
    await failTimes(breaker, 1);
    await clock.advance(1_000);
    const probe = deferred<string>();
    const first = breaker.execute(() => probe.promise);
    const others = [breaker.execute(ok), breaker.execute(ok)];
    for (const other of others) {
      const error = (await other.catch((e: unknown) => e)) as BrokenCircuitError;
      expect(error).toBeInstanceOf(BrokenCircuitError);
      expect(error.message).toMatch(/half-open/);
    }
    expect(events.rejected!.slice(-2)).toEqual([
      { policy: 'circuitBreaker', reason: 'halfOpenBusy', retryAfterMs: undefined },
      { policy: 'circuitBreaker', reason: 'halfOpenBusy', retryAfterMs: undefined },
    ]);
    probe.resolve('probe ok');
    await expect(first).resolves.toBe('probe ok');
    expect(breaker.state).toBe('closed');
  });

  it('admits halfOpenProbes probes and closes only when all of them succeed', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), halfOpenAfter: 100, halfOpenProbes: 3 });
    await failTimes(breaker, 1);
    await clock.advance(100);
    const probes = [deferred<string>(), deferred<string>(), deferred<string>()];
    const runs = probes.map((p) => breaker.execute(() => p.promise));
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    probes[0]!.resolve('a');
    probes[1]!.resolve('b');
    await Promise.all(runs.slice(0, 2));
    expect(breaker.state).toBe('halfOpen');
    // Two successes recorded, one in flight: no free slot yet.
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    probes[2]!.resolve('c');
    await runs[2];
    expect(breaker.state).toBe('closed');
  });

  it('the first failing probe reopens; the other probes then no longer count', async () => {
    const { breaker, clock, transitions } = setup({
      strategy: consecutive(1),
      halfOpenAfter: 100,
      halfOpenProbes: 2,
    });
    await failTimes(breaker, 1);
    await clock.advance(100);
    const a = deferred<string>();
    const b = deferred<string>();
    const ra = breaker.execute(() => a.promise);
    const rb = breaker.execute(() => b.promise);
    a.reject(new Error('still down'));
    await expect(ra).rejects.toThrow('still down');
    expect(breaker.state).toBe('open');
    b.resolve('late success');
    await expect(rb).resolves.toBe('late success');
    expect(breaker.state).toBe('open');
    expect(transitions()).toEqual(['closed->open', 'open->halfOpen', 'halfOpen->open']);
  });

  it('a call admitted while closed never decides the half-open state', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(2), halfOpenAfter: 100 });
    const slow = deferred<string>();
    const slowRun = breaker.execute(() => slow.promise);
    await failTimes(breaker, 2);
    await clock.advance(100);
    expect(breaker.state).toBe('halfOpen');
    slow.resolve('old call');
    await expect(slowRun).resolves.toBe('old call');
    expect(breaker.state).toBe('halfOpen');
    await failTimes(breaker, 1); // the real probe
    expect(breaker.state).toBe('open');
  });

  it('breaks grow with a Backoff and start over once the circuit closes', async () => {
    const { breaker, clock } = setup({
      strategy: consecutive(1),
      halfOpenAfter: exponential({ initialDelay: 1_000, maxDelay: 5_000, jitter: 'none' }),
    });
    const retryAfter = async () =>
      ((await breaker.execute(ok).catch((e: unknown) => e)) as BrokenCircuitError).retryAfterMs;
    const breaks: (number | undefined)[] = [];
    await failTimes(breaker, 1);
    for (let i = 0; i < 4; i++) {
      const after = await retryAfter();
      breaks.push(after);
      await clock.advance(after!);
      await failTimes(breaker, 1); // probe fails: a longer break
    }
    breaks.push(await retryAfter());
    expect(breaks).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    await clock.advance(5_000);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    await failTimes(breaker, 1);
    expect(await retryAfter()).toBe(1_000);
  });

  it('halfOpenAfter: 0 lets the next call probe at once', async () => {
    const { breaker } = setup({ strategy: consecutive(1), halfOpenAfter: 0 });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('halfOpen');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('a custom backoff yielding NaN lands on its maxDelay, never on a wrong break', async () => {
    const nan = { maxDelay: 3_000, start: () => ({ next: () => Number.NaN }), delays: () => [] };
    const { breaker } = setup({ strategy: consecutive(1), halfOpenAfter: nan });
    await failTimes(breaker, 1);
    expect(((await breaker.execute(ok).catch((e: unknown) => e)) as BrokenCircuitError).retryAfterMs).toBe(
      3_000,
    );
  });
});

describe('circuitBreaker: handle and handleResult', () => {
  class ClientError extends Error {}
  const handle = (error: unknown) => !(error instanceof ClientError);

  it('an unhandled error is neither a failure nor a success while closed', async () => {
    const { breaker } = setup({ strategy: consecutive(3), handle });
    await failTimes(breaker, 2);
    // A 4xx-like error passes through untouched and does not reset the run of failures...
    await expect(breaker.execute(() => Promise.reject(new ClientError('400')))).rejects.toThrow('400');
    expect(breaker.state).toBe('closed');
    // ...so the next handled failure is the third in a row.
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('an unhandled error of a probe frees its slot without deciding', async () => {
    const { breaker, clock, transitions } = setup({ strategy: consecutive(1), halfOpenAfter: 100, handle });
    await failTimes(breaker, 1);
    await clock.advance(100);
    await expect(breaker.execute(() => Promise.reject(new ClientError('404')))).rejects.toThrow('404');
    expect(breaker.state).toBe('halfOpen');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(transitions()).toEqual(['closed->open', 'open->halfOpen', 'halfOpen->closed']);
  });

  it("by default, Bulwark's local rejections (bulkhead, rate limit, throttle) are not the dependency's failures", async () => {
    const { breaker } = setup({ strategy: consecutive(1) });
    for (const error of [
      new BulkheadRejectedError('full'),
      new RateLimitedError(100),
      new ThrottledError(),
    ]) {
      await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
      expect(breaker.state).toBe('closed');
    }
    await expect(breaker.execute(() => Promise.reject(new TimeoutError(10)))).rejects.toBeInstanceOf(
      TimeoutError,
    );
    expect(breaker.state).toBe('open');
  });

  it('a custom handle replaces the default entirely', async () => {
    const { breaker } = setup({ strategy: consecutive(1), handle: () => true });
    await expect(breaker.execute(() => Promise.reject(new BulkheadRejectedError('full')))).rejects.toThrow();
    expect(breaker.state).toBe('open');
  });

  it('a result handleResult rejects counts as a failure but is still returned', async () => {
    const { breaker, clock } = setup({
      strategy: consecutive(2),
      halfOpenAfter: 100,
      handleResult: (value) => (value as { status: number }).status >= 500,
    });
    const unavailable = { status: 503 };
    await expect(breaker.execute(() => unavailable)).resolves.toBe(unavailable);
    await expect(breaker.execute(() => ({ status: 500 }))).resolves.toEqual({ status: 500 });
    expect(breaker.state).toBe('open');
    await clock.advance(100);
    await expect(breaker.execute(() => ({ status: 502 }))).resolves.toEqual({ status: 502 });
    expect(breaker.state).toBe('open');
  });

  it('a throwing predicate reaches the caller and never keeps a probe slot', async () => {
    const { breaker, clock } = setup({
      strategy: consecutive(1),
      halfOpenAfter: 100,
      handleResult: (value) => {
        if (value === 'bad') throw new Error('predicate bug');
        return false;
      },
    });
    await failTimes(breaker, 1);
    await clock.advance(100);
    await expect(breaker.execute(() => 'bad')).rejects.toThrow('predicate bug');
    expect(breaker.state).toBe('halfOpen');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });
});

describe('circuitBreaker: aborts', () => {
  it('a caller abort of a probe rejects at once with the reason, but the slot stays taken until the function settles', async () => {
    const { breaker, clock, events } = setup({ strategy: consecutive(1), halfOpenAfter: 100 });
    await failTimes(breaker, 1);
    await clock.advance(100);
    const controller = new AbortController();
    const hung = deferred<string>();
    let calls = 0;
    // The function ignores its signal: the breaker must not wait for it to answer its caller.
    const run = breaker.execute(
      () => {
        calls++;
        return hung.promise;
      },
      { signal: controller.signal },
    );
    const outcome = run.catch((e: unknown) => e);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await flushMicrotasks();
    expect(await stateOf(run)).toBe('rejected');
    expect(await outcome).toBe(reason);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(breaker.state).toBe('halfOpen');
    expect((events.failure!.at(-1) as { error: unknown }).error).toBe(reason);
    // The first probe is still running: a second one would be a second real probe at once.
    const second = breaker.execute(() => {
      calls++;
      return 'second probe';
    });
    await expect(second).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(calls).toBe(1);
    expect(events.rejected!.at(-1)).toMatchObject({ reason: 'halfOpenBusy' });
    // Its late success is still evidence of health: the circuit closes.
    hung.resolve('late');
    await flushMicrotasks();
    expect(breaker.state).toBe('closed');
  });

  it('the late error of a probe whose caller aborted counts as nothing and frees the slot', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), halfOpenAfter: 100 });
    await failTimes(breaker, 1);
    await clock.advance(100);
    const controller = new AbortController();
    const hung = deferred<string>();
    const run = breaker.execute(() => hung.promise, { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(run).rejects.toThrow('caller gave up');
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    // An error after the caller left is presumed to be the abort's consequence: neither success nor failure.
    hung.reject(new Error('aborted'));
    await flushMicrotasks();
    expect(breaker.state).toBe('halfOpen');
    // The slot is free: the next caller probes and decides.
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('the late success of an abandoned probe counts only in the half-open state that admitted it', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), halfOpenAfter: 100 });
    await failTimes(breaker, 1);
    await clock.advance(100);
    const controller = new AbortController();
    const hung = deferred<string>();
    const run = breaker.execute(() => hung.promise, { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(run).rejects.toThrow('caller gave up');
    // A deferred outcome reopens the circuit meanwhile: a new state, in which the old probe no longer counts.
    breaker.recordFailure(new Error('stream cut'));
    expect(breaker.state).toBe('open');
    hung.resolve('late');
    await flushMicrotasks();
    expect(breaker.state).toBe('open');
  });

  it('halfOpenProbes: 1 never runs two real probes at once, however many probe callers abort', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), halfOpenAfter: 100 });
    await failTimes(breaker, 1);
    await clock.advance(100);
    let running = 0;
    let most = 0;
    const pending: Array<ReturnType<typeof deferred<string>>> = [];
    const fn = () => {
      running++;
      most = Math.max(most, running);
      const d = deferred<string>();
      pending.push(d);
      return d.promise.finally(() => running--);
    };
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController();
      const run = breaker.execute(fn, { signal: controller.signal }).catch((e: unknown) => e);
      controller.abort(new Error(`caller ${i} left`));
      await run;
    }
    expect(most).toBe(1);
    expect(pending).toHaveLength(1);
    pending[0]!.resolve('ok');
    await flushMicrotasks();
    expect(breaker.state).toBe('closed');
  });

  it('a probe that reacts to its signal is not counted as a failure', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), halfOpenAfter: 100 });
    await failTimes(breaker, 1);
    await clock.advance(100);
    const controller = new AbortController();
    const run = breaker.execute(
      (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
      { signal: controller.signal },
    );
    controller.abort(new Error('stop'));
    await expect(run).rejects.toThrow('stop');
    expect(breaker.state).toBe('halfOpen');
  });

  it('an already aborted caller is rejected with its reason and takes no slot', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), halfOpenAfter: 100 });
    await failTimes(breaker, 1);
    await clock.advance(100);
    const reason = new Error('already');
    await expect(breaker.execute(ok, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  it('a caller abort while closed is not counted as a failure and surfaces the reason', async () => {
    const { breaker } = setup({ strategy: consecutive(1) });
    const controller = new AbortController();
    const run = breaker.execute(
      (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('fn error')))),
      { signal: controller.signal },
    );
    const reason = new Error('cancelled');
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(breaker.state).toBe('closed');
  });
});

describe('circuitBreaker: isolate and reset', () => {
  it('isolation stacks: the circuit closes once every handle is released', async () => {
    const { breaker, transitions, events } = setup();
    const first = breaker.isolate();
    const second = breaker.isolate();
    expect(breaker.state).toBe('isolated');
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(IsolatedCircuitError);
    expect(events.rejected).toEqual([
      { policy: 'circuitBreaker', reason: 'isolated', retryAfterMs: undefined },
    ]);
    first.dispose();
    first.dispose(); // releasing twice is harmless and does not release the other handle
    expect(breaker.state).toBe('isolated');
    second[Symbol.dispose]();
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(transitions()).toEqual(['closed->isolated', 'isolated->closed']);
  });

  it('isolation overrides an open circuit and survives the break', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), halfOpenAfter: 100 });
    await failTimes(breaker, 1);
    const handle = breaker.isolate();
    await clock.advance(1_000);
    expect(breaker.state).toBe('isolated');
    handle.dispose();
    expect(breaker.state).toBe('closed');
  });

  it('ignores the outcome of calls that were running when it was isolated', async () => {
    const { breaker } = setup({ strategy: consecutive(1) });
    const running = deferred<string>();
    const run = breaker.execute(() => running.promise);
    const handle = breaker.isolate();
    handle.dispose();
    running.reject(new Error('from before'));
    await expect(run).rejects.toThrow('from before');
    expect(breaker.state).toBe('closed');
  });

  it.each([
    ['nobody listens (the hot path)', false],
    ['someone listens (the timed path)', true],
  ])('a call from before a reset does not count when it ends, whether %s', async (_, listen) => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(2) });
    if (listen) breaker.on('success', () => {});
    const late = deferred<string>();
    const lateFailure = deferred<string>();
    const runs = [breaker.execute(() => late.promise), breaker.execute(() => lateFailure.promise)];
    await failTimes(breaker, 1);
    breaker.reset();
    await failTimes(breaker, 1);
    late.resolve('from before'); // would restart the run of failures if it counted
    lateFailure.reject(new Error('from before')); // would open the circuit if it counted
    await expect(runs[0]).resolves.toBe('from before');
    await expect(runs[1]).rejects.toThrow('from before');
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('reset closes, forgets counts and breaks, and lifts isolation', async () => {
    const { breaker, clock } = setup({
      strategy: consecutive(2),
      halfOpenAfter: linear({ initialDelay: 100, step: 100, maxDelay: 1_000 }),
    });
    await failTimes(breaker, 1);
    breaker.reset();
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    await clock.advance(100);
    await failTimes(breaker, 1); // second break would be 200
    breaker.reset();
    await failTimes(breaker, 2);
    expect(((await breaker.execute(ok).catch((e: unknown) => e)) as BrokenCircuitError).retryAfterMs).toBe(
      100,
    );
    const handle = breaker.isolate();
    breaker.reset();
    expect(breaker.state).toBe('closed');
    const other = breaker.isolate();
    handle.dispose(); // an old handle does not release the new isolation
    expect(breaker.state).toBe('isolated');
    other.dispose();
    expect(breaker.state).toBe('closed');
  });
});

describe('circuitBreaker: slow calls', () => {
  const slowCall = (clock: VirtualClock, ms: number) => async () => {
    await new Promise<void>((resolve) => clock.setTimer(resolve, ms));
    return 'slow';
  };

  it('with a window, slow calls open the circuit once their ratio is reached', async () => {
    const { breaker, clock } = setup({
      strategy: countWindow({ size: 4, minimumCalls: 4, failureRatio: 1 }),
      slowCallDuration: 500,
      slowCallRatio: 0.5,
    });
    const run = async (ms: number) => {
      const p = breaker.execute(slowCall(clock, ms));
      await clock.advance(ms);
      return p;
    };
    await run(10);
    await run(499);
    await run(500); // exactly slowCallDuration is slow
    expect(breaker.state).toBe('closed');
    await run(800);
    expect(breaker.state).toBe('open');
  });

  it('with consecutive(n), a slow call counts like a failure', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(2), slowCallDuration: 100 });
    for (let i = 0; i < 2; i++) {
      const p = breaker.execute(slowCall(clock, 150));
      await clock.advance(150);
      await expect(p).resolves.toBe('slow');
    }
    expect(breaker.state).toBe('open');
  });

  it('a slow probe reopens the circuit', async () => {
    const { breaker, clock } = setup({ strategy: consecutive(1), slowCallDuration: 100, halfOpenAfter: 50 });
    await failTimes(breaker, 1);
    await clock.advance(50);
    const p = breaker.execute(slowCall(clock, 100));
    await clock.advance(100);
    await expect(p).resolves.toBe('slow');
    expect(breaker.state).toBe('open');
  });
});

describe('circuitBreaker: events and composition', () => {
  it('emits success and failure with durations, named after the policy', async () => {
    const { breaker, clock, events } = setup({ name: 'payments' });
    const d = deferred<string>();
    const p = breaker.execute(() => d.promise);
    await clock.advance(30);
    d.resolve('x');
    await p;
    await expect(breaker.execute(boom)).rejects.toThrow();
    expect(events.success).toEqual([{ policy: 'payments', duration: 30 }]);
    expect(events.failure).toMatchObject([{ policy: 'payments', duration: 0, error: { message: 'boom' } }]);
  });

  it('uses no timers, and on() returns a working unsubscribe', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 100 });
    const seen: string[] = [];
    const off = breaker.on('stateChange', (e) => seen.push(e.to));
    await failTimes(breaker, 1);
    off();
    await clock.advance(100);
    expect(breaker.state).toBe('halfOpen');
    expect(seen).toEqual(['open']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('retry outside the breaker waits out the break through retryAfterMs and then probes', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(2), halfOpenAfter: 5_000 });
    const policy = pipeline(
      retry({ clock, maxAttempts: 4, backoff: constant(10), maxDelay: 60_000 }),
      breaker,
    );
    let calls = 0;
    const run = policy.execute(() => {
      calls++;
      return calls <= 2 ? Promise.reject(new Error('down')) : Promise.resolve('recovered');
    });
    await clock.advance(10); // first retry after the backoff; the second failure opens the circuit
    expect(breaker.state).toBe('open');
    await clock.advance(5_000); // the rejection's retryAfterMs is the rest of the break
    await expect(run).resolves.toBe('recovered');
    expect(calls).toBe(3);
    expect(breaker.state).toBe('closed');
  });

  it('a timeout inside the breaker turns a hung probe into a failure', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 10_000 });
    const policy = pipeline(breaker, timeout(1_000, { clock }));
    await expect(policy.execute(boom)).rejects.toThrow('boom');
    await clock.advance(10_000);
    const probe = policy.execute(() => new Promise(() => {}));
    const caught = probe.catch((e: unknown) => e);
    await clock.advance(2_000); // past the deadline, whatever the timeout's resolution
    expect(await caught).toBeInstanceOf(TimeoutError);
    expect(breaker.state).toBe('open');
  });
});

describe('circuitBreaker with a misbehaving halfOpenAfter backoff', () => {
  it('refuses at construction a backoff whose start() returns no sequence', () => {
    const broken = { maxDelay: 100, start: () => undefined, delays: () => [] } as unknown as Backoff;
    expect(() => circuitBreaker({ halfOpenAfter: broken })).toThrow(/Invalid option "halfOpenAfter"/);
  });

  it.each([Number.NaN, -1, '5', undefined, Number.POSITIVE_INFINITY, 1e308])(
    'a break of %s lasts the backoff maxDelay',
    async (bad) => {
      const clock = new VirtualClock();
      const odd: Backoff = {
        maxDelay: 1_000,
        start: () => ({ next: () => bad as number }),
        delays: () => [],
      };
      const breaker = circuitBreaker({ strategy: consecutive(1), halfOpenAfter: odd, clock });
      await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
      expect(breaker.state).toBe('open');
      await clock.advance(999);
      expect(breaker.state).toBe('open');
      await clock.advance(1);
      expect(breaker.state).toBe('halfOpen');
    },
  );
});
