/**
 * Work that outlives its caller (a function that ignores its signal after a timeout, a caller abort or a lost
 * hedge) keeps holding the slots of the layers around it (bulkhead, half-open probe, adaptive concurrency) until it
 * really settles, while its caller is released at once.
 */
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  consecutive,
  constant,
  hedge,
  keyedPolicy,
  pipeline,
  retry,
  sleep,
  TimeoutError,
  timeout,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { abortListeners } from '../support/helpers.js';

/** A function that ignores its signal and answers after `ms` on `clock`; counts how many run at once. */
function stubborn(clock: VirtualClock, ms: number, outcome: 'resolve' | 'reject' = 'resolve') {
  const stats = { started: 0, running: 0, most: 0 };
  const fn = async (): Promise<string> => {
    stats.started++;
    stats.running++;
    stats.most = Math.max(stats.most, stats.running);
    try {
      await sleep(ms, undefined, clock);
      if (outcome === 'reject') throw new Error('late failure');
      return 'late value';
    } finally {
      stats.running--;
    }
  };
  return { fn, stats };
}

async function settle(promise: Promise<unknown>) {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

describe('bulkhead around a timeout (the recommended order)', () => {
  it('maxConcurrent: 1 runs one real call at a time although each caller is released at its timeout', async () => {
    const clock = new VirtualClock();
    const limit = bulkhead({ maxConcurrent: 1, maxQueue: 10, clock });
    const policy = pipeline(limit, timeout(100, { clock, resolution: 0 }));
    const { fn, stats } = stubborn(clock, 1_000);
    const calls = [0, 1, 2].map(() => settle(policy.execute(fn)));
    await clock.advance(100);
    // The first caller has its TimeoutError now, but its function still runs and keeps the slot.
    expect(await Promise.race([calls[0], Promise.resolve('pending')])).toMatchObject({ ok: false });
    expect(stats.started).toBe(1);
    expect(limit.executing).toBe(1);
    expect(limit.queued).toBe(2);
    await clock.advance(5_000);
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((o) => !o.ok && o.error instanceof TimeoutError)).toBe(true);
    expect(stats.started).toBe(3);
    expect(stats.most).toBe(1);
    expect(limit.executing).toBe(0);
    expect(limit.queued).toBe(0);
  });

  it('retry around it: an attempt does not start while the timed-out one still runs', async () => {
    const clock = new VirtualClock();
    const limit = bulkhead({ maxConcurrent: 1, clock });
    const policy = pipeline(
      retry({ maxAttempts: 3, backoff: constant(10), clock }),
      limit,
      timeout(100, { clock, resolution: 0 }),
    );
    const { fn, stats } = stubborn(clock, 1_000);
    const run = settle(policy.execute(fn));
    await clock.advance(10_000);
    const outcome = await run;
    // Attempts 2 and 3 found the slot still held by the straggler and were refused.
    expect(outcome).toMatchObject({ ok: false });
    expect((outcome as { error: unknown }).error).toBeInstanceOf(BulkheadRejectedError);
    expect(stats.started).toBe(1);
    expect(stats.most).toBe(1);
    expect(limit.executing).toBe(0);
  });

  it('a caller abort releases the caller at once; the slot is held until the function settles', async () => {
    const clock = new VirtualClock();
    const limit = bulkhead({ maxConcurrent: 1, clock });
    const policy = pipeline(limit, timeout(10_000, { clock }));
    const { fn, stats } = stubborn(clock, 1_000);
    const controller = new AbortController();
    const run = policy.execute(fn, { signal: controller.signal });
    controller.abort('caller left');
    await expect(run).rejects.toBe('caller left');
    expect(abortListeners(controller.signal)).toBe(0);
    expect(limit.executing).toBe(1);
    await expect(policy.execute(fn)).rejects.toBeInstanceOf(BulkheadRejectedError);
    await clock.advance(1_000);
    expect(limit.executing).toBe(0);
    await expect(policy.execute(() => 'next')).resolves.toBe('next');
    expect(stats.most).toBe(1);
  });

  it('a straggler that fails later frees the slot as well, with no unhandled rejection', async () => {
    const clock = new VirtualClock();
    const limit = bulkhead({ maxConcurrent: 1, clock });
    const policy = pipeline(limit, timeout(100, { clock, resolution: 0 }));
    const { fn } = stubborn(clock, 1_000, 'reject');
    const run = settle(policy.execute(fn));
    await clock.advance(100);
    expect(await run).toMatchObject({ ok: false });
    expect(limit.executing).toBe(1);
    await clock.advance(900);
    expect(limit.executing).toBe(0);
  });

  it('a bulkhead outside retry counts each straggling attempt until it settles', async () => {
    const clock = new VirtualClock();
    const limit = bulkhead({ maxConcurrent: 2, maxQueue: 1, clock });
    const policy = pipeline(
      limit,
      retry({ maxAttempts: 2, backoff: constant(0), clock }),
      timeout(100, { clock, resolution: 0 }),
    );
    const { fn, stats } = stubborn(clock, 1_000);
    const first = settle(policy.execute(fn));
    await clock.advance(150);
    // Attempt 1 straggles, attempt 2 runs: two real calls for this execution, both counted.
    expect(stats.running).toBe(2);
    expect(limit.executing).toBe(2);
    const second = settle(policy.execute(() => 'second'));
    expect(limit.queued).toBe(1);
    await clock.advance(5_000);
    expect(await first).toMatchObject({ ok: false });
    expect(await second).toEqual({ ok: true, value: 'second' });
    expect(limit.executing).toBe(0);
  });

  it('nested pipelines: the outer bulkhead holds its slot too', async () => {
    const clock = new VirtualClock();
    const outer = bulkhead({ maxConcurrent: 1, clock });
    const inner = bulkhead({ maxConcurrent: 1, clock });
    const policy = pipeline(outer, pipeline(inner, timeout(100, { clock, resolution: 0 })));
    const { fn } = stubborn(clock, 1_000);
    const run = settle(policy.execute(fn));
    await clock.advance(100);
    expect(await run).toMatchObject({ ok: false });
    expect(outer.executing).toBe(1);
    expect(inner.executing).toBe(1);
    await clock.advance(900);
    expect(outer.executing).toBe(0);
    expect(inner.executing).toBe(0);
  });
});

describe('hedge inside a bulkhead', () => {
  it('the losing attempt keeps the slot until it settles', async () => {
    const clock = new VirtualClock();
    const limit = bulkhead({ maxConcurrent: 1, clock });
    const policy = pipeline(limit, hedge({ delay: 10, clock }));
    let calls = 0;
    const run = policy.execute(async ({ hedge: n }) => {
      calls++;
      // The primary is slow and ignores its signal; the hedge answers first.
      await sleep(n === 0 ? 1_000 : 20, undefined, clock);
      return n;
    });
    await clock.advance(30);
    await expect(run).resolves.toBe(1);
    expect(calls).toBe(2);
    expect(limit.executing).toBe(1);
    await clock.advance(1_000);
    expect(limit.executing).toBe(0);
  });
});

describe('half-open probe behind a timeout', () => {
  it('a timed-out probe keeps its slot: no second real probe runs while it still runs', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ strategy: consecutive(1), halfOpenAfter: 100, clock });
    const policy = pipeline(breaker, timeout(50, { clock, resolution: 0 }));
    await policy.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    await clock.advance(100);
    const { fn, stats } = stubborn(clock, 1_000);
    const probe = settle(policy.execute(fn));
    await clock.advance(50);
    expect(await probe).toMatchObject({ ok: false });
    expect(((await probe) as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    // The timeout counted as a failed probe: open again for 100 ms, then half-open, but the probe still runs.
    expect(breaker.state).toBe('open');
    await clock.advance(100);
    expect(breaker.state).toBe('halfOpen');
    await expect(policy.execute(fn)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(stats.started).toBe(1);
    await clock.advance(900);
    await flushMicrotasks();
    await expect(policy.execute(() => 'healthy')).resolves.toBe('healthy');
    expect(breaker.state).toBe('closed');
    expect(stats.most).toBe(1);
  });
});

describe('adaptiveConcurrency around a timeout', () => {
  it('a timed-out call keeps its slot until its function settles', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, clock });
    const policy = pipeline(limiter, timeout(100, { clock, resolution: 0 }));
    // Longer than the slot a refused call keeps for one service time (initialRtt, 1 s).
    const { fn, stats } = stubborn(clock, 5_000);
    const calls = [0, 1, 2].map(() => settle(policy.execute(fn)));
    await clock.advance(60_000);
    await Promise.all(calls);
    expect(stats.started).toBeGreaterThan(1);
    expect(stats.most).toBe(1);
    expect(limiter.inFlight).toBe(0);
  });
});

describe('keyedPolicy around a timeout', () => {
  it('a key whose timed-out work still runs is not evicted: a second policy never runs beside it', async () => {
    const clock = new VirtualClock();
    const built: string[] = [];
    const keyed = keyedPolicy(
      (key: string) => {
        built.push(key);
        return pipeline(bulkhead({ maxConcurrent: 1, clock }), timeout(100, { clock, resolution: 0 }));
      },
      { maxKeys: 1, clock },
    );
    const { fn, stats } = stubborn(clock, 1_000);
    const first = settle(keyed.execute('a', fn));
    await clock.advance(100);
    expect(await first).toMatchObject({ ok: false });
    // Its caller left, but the function still runs under a's bulkhead: a stays, b is built beside it.
    await expect(keyed.execute('b', () => 'b')).resolves.toBe('b');
    expect(keyed.has('a')).toBe(true);
    // a's one slot is still taken by the straggler: a second call to a is refused, not run on a new bulkhead.
    await expect(keyed.execute('a', fn)).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(built).toEqual(['a', 'b']);
    await clock.advance(1_000);
    await flushMicrotasks();
    expect(stats.most).toBe(1);
    // Settled: a is idle again and can be evicted as usual.
    await expect(keyed.execute('c', () => 'c')).resolves.toBe('c');
    expect(keyed.size).toBe(1);
  });
});
