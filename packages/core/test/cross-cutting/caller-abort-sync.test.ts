/**
 * A caller abort that happens while the function is still running synchronously (the function aborts the
 * caller's signal before `execute()` returns), or while a policy is between checking the signal and listening to
 * it, still wins: the execution rejects with the signal's reason, whatever the function then returns, and no
 * listener is left on the signal.
 */
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  adaptiveThrottle,
  bulkhead,
  circuitBreaker,
  consecutive,
  countWindow,
  exponential,
  fallback,
  hedge,
  keyedPolicy,
  pipeline,
  rateLimit,
  retry,
  retryBudget,
  timeout,
  tokenBucket,
} from '../../src/index.js';
import { abortListeners } from '../support/helpers.js';

interface Executor {
  execute<R>(
    fn: (context: { signal: AbortSignal }) => R | PromiseLike<R>,
    options: { signal: AbortSignal },
  ): Promise<unknown>;
}

/** A breaker whose next call is a half-open probe. */
async function probingBreaker() {
  const breaker = circuitBreaker({ strategy: consecutive(1), halfOpenAfter: 0 });
  await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
  expect(breaker.state).toBe('halfOpen');
  return breaker;
}

const recommended = () =>
  pipeline(
    timeout(10_000, { name: 'total' }),
    retry({ maxAttempts: 3, budget: retryBudget() }),
    hedge({ delay: 300 }),
    circuitBreaker({
      strategy: countWindow({ size: 50, failureRatio: 0.5, minimumCalls: 10 }),
      halfOpenAfter: exponential({ initialDelay: 5_000, maxDelay: 60_000, jitter: 'none' }),
    }),
    bulkhead({ maxConcurrent: 10, maxQueue: 100 }),
    timeout(2_000, { name: 'attempt' }),
  );

const policies: Record<string, () => Executor | Promise<Executor>> = {
  retry: () => retry(),
  circuitBreaker: () => circuitBreaker(),
  'circuitBreaker (half-open probe)': probingBreaker,
  bulkhead: () => bulkhead({ maxConcurrent: 2 }),
  rateLimit: () => rateLimit({ limits: tokenBucket({ rate: 10, capacity: 10 }) }),
  fallback: () => fallback({ fallback: () => 'fallback' }),
  'timeout (aggressive)': () => timeout(10_000),
  'timeout (cooperative)': () => timeout(10_000, { strategy: 'cooperative' }),
  hedge: () => hedge({ delay: 10_000 }),
  adaptiveThrottle: () => adaptiveThrottle(),
  adaptiveConcurrency: () => adaptiveConcurrency(),
  keyedPolicy: () => {
    const keyed = keyedPolicy(() => bulkhead({ maxConcurrent: 1 }));
    return { execute: (fn, options) => keyed.execute('k', fn, options) };
  },
  'pipeline (retry, breaker, bulkhead)': () =>
    pipeline(retry(), circuitBreaker(), bulkhead({ maxConcurrent: 2 })),
  'pipeline (recommended, with hedge)': recommended,
};

describe.each(Object.entries(policies))('%s: the function aborts the caller synchronously', (_name, make) => {
  it.each<[string, () => unknown]>([
    ['returns a value', () => 'late value'],
    ['returns a promise that never settles', () => new Promise<string>(() => {})],
    [
      'throws',
      () => {
        throw new Error('late error');
      },
    ],
  ])('then %s: execute rejects with the reason', async (_case, ending) => {
    const policy = await make();
    const controller = new AbortController();
    const reason = new Error('caller left');
    const running = policy.execute(
      () => {
        controller.abort(reason);
        return ending();
      },
      { signal: controller.signal },
    );
    await expect(running).rejects.toBe(reason);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('an abort from inside the function reaches its own signal', async () => {
    const policy = await make();
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const running = policy.execute(
      ({ signal }) => {
        seen = signal;
        controller.abort('stop');
        return new Promise(() => {});
      },
      { signal: controller.signal },
    );
    await expect(running).rejects.toBe('stop');
    expect(seen?.aborted).toBe(true);
  });
});

describe('an abort between a policy checking the signal and listening to it', () => {
  it('bulkhead: a caller aborted from a queued listener leaves the queue at once', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    let release!: () => void;
    const holder = policy.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    policy.on('queued', () => controller.abort('left while queuing'));
    const queued = policy.execute(() => 'never runs', { signal: controller.signal });
    await expect(queued).rejects.toBe('left while queuing');
    expect(policy.queued).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
    release();
    await holder;
    expect(policy.executing).toBe(0);
  });

  it('rateLimit: a caller aborted from a queued listener leaves the waitlist at once', async () => {
    // maxWait above the refill time: at the default (60 s, exactly the refill time) a wall clock that steps back
    // by a millisecond between the two calls turns the wait into a refusal, and the test would not queue at all.
    const policy = rateLimit({
      limits: tokenBucket({ rate: 1, per: 60_000, capacity: 1 }),
      maxWait: 120_000,
    });
    await policy.execute(() => 'first');
    const controller = new AbortController();
    policy.on('queued', () => controller.abort('left while queuing'));
    const queued = policy.execute(() => 'never runs', { signal: controller.signal });
    await expect(queued).rejects.toBe('left while queuing');
    expect(policy.waiting()).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('adaptiveConcurrency: a caller aborted from a queued listener leaves the room at once', async () => {
    const policy = adaptiveConcurrency({ initialLimit: 1, minLimit: 1 });
    let release!: () => void;
    const holder = policy.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    policy.on('queued', () => controller.abort('left while queuing'));
    const queued = policy.execute(() => 'never runs', { signal: controller.signal });
    await expect(queued).rejects.toBe('left while queuing');
    expect(policy.queued).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
    release();
    await holder;
  });

  it('retry: a caller aborted from a retry listener does not wait out the backoff', async () => {
    const policy = retry({ backoff: exponential({ initialDelay: 60_000, jitter: 'none' }) });
    const controller = new AbortController();
    policy.on('retry', () => controller.abort('left before the wait'));
    const running = policy.execute(() => Promise.reject(new Error('fails')), { signal: controller.signal });
    await expect(running).rejects.toBe('left before the wait');
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('hedge: a caller aborted from a hedge listener ends the execution at once', async () => {
    const policy = hedge({ delay: 0, maxHedges: 2 });
    const controller = new AbortController();
    policy.on('hedge', () => controller.abort('left while hedging'));
    const running = policy.execute(() => new Promise(() => {}), { signal: controller.signal });
    await expect(running).rejects.toBe('left while hedging');
    expect(abortListeners(controller.signal)).toBe(0);
  });
});
