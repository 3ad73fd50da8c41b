/**
 * Many executions sharing one caller signal (a request's, a server's shutdown signal) put at most one listener on
 * it in all, whatever their layers (timeouts, retries, hedges, queues), take it off when they settle, and never
 * make Node warn about a listener leak.
 */
import { describe, expect, it } from 'vitest';
import {
  bulkhead,
  circuitBreaker,
  countWindow,
  exponential,
  hedge,
  pipeline,
  retry,
  retryBudget,
  sleep,
  timeout,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { abortListeners } from '../support/helpers.js';

function recommended(clock: VirtualClock) {
  return pipeline(
    timeout(10_000, { name: 'total', clock }),
    retry({ maxAttempts: 3, budget: retryBudget({ clock }), clock }),
    hedge({ delay: 300, clock }),
    circuitBreaker({
      strategy: countWindow({ size: 50, failureRatio: 0.5, minimumCalls: 10 }),
      halfOpenAfter: exponential({ initialDelay: 5_000, maxDelay: 60_000, jitter: 'none' }),
      clock,
    }),
    bulkhead({ maxConcurrent: 10, maxQueue: 100, clock }),
    timeout(2_000, { name: 'attempt', clock }),
  );
}

async function settle<T>(promise: Promise<T>) {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Collects the process warnings emitted while `run` runs. */
async function warningsDuring(run: () => Promise<void>): Promise<Error[]> {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    await run();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

describe('one caller signal shared by many executions', () => {
  it('20 concurrent executions of the recommended pipeline (with hedge) keep at most one listener on it', async () => {
    const clock = new VirtualClock();
    const policy = recommended(clock);
    const controller = new AbortController();
    const signal = controller.signal;
    let most = 0;
    const warnings = await warningsDuring(async () => {
      let calls = 0;
      const runs = Array.from({ length: 20 }, () =>
        settle(
          policy.execute(
            async ({ signal: own }) => {
              // Some attempts fail quickly (retried), the others are slow enough to be hedged.
              const n = calls++;
              most = Math.max(most, abortListeners(signal));
              await sleep(n % 4 === 0 ? 100 : 500, own, clock);
              most = Math.max(most, abortListeners(signal));
              if (n % 4 === 0) throw new Error('503');
              return n;
            },
            { signal },
          ),
        ),
      );
      for (let t = 0; t < 40; t++) {
        await clock.advance(50);
        most = Math.max(most, abortListeners(signal));
      }
      await clock.runAll();
      const outcomes = await Promise.all(runs);
      expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(10);
      // Retries and hedges did run alongside.
      expect(calls).toBeGreaterThan(30);
    });
    expect(most).toBeLessThanOrEqual(1);
    expect(abortListeners(signal)).toBe(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('an abort still reaches every execution sharing the signal, and leaves nothing behind', async () => {
    const clock = new VirtualClock();
    const policy = recommended(clock);
    const controller = new AbortController();
    const seen: boolean[] = [];
    let started = 0;
    const runs = Array.from({ length: 20 }, (_, i) =>
      settle(
        policy.execute(
          async ({ signal }) => {
            started++;
            await sleep(1_000, signal, clock).catch(() => {});
            seen[i] = signal.aborted;
            return 'late';
          },
          { signal: controller.signal },
        ),
      ),
    );
    await clock.advance(10);
    expect(abortListeners(controller.signal)).toBeLessThanOrEqual(1);
    controller.abort('shutdown');
    const outcomes = await Promise.all(runs);
    expect(outcomes.every((o) => !o.ok && o.error === 'shutdown')).toBe(true);
    await flushMicrotasks();
    // Ten ran (the bulkhead's limit) and saw the abort through their own signal; the ten queued left the queue.
    expect(started).toBe(10);
    expect(seen.filter(Boolean)).toHaveLength(10);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('sequential executions on a long-lived signal never accumulate listeners (soak)', async () => {
    const controller = new AbortController();
    const policy = pipeline(retry(), timeout(10_000), hedge({ delay: 10_000 }));
    let most = 0;
    for (let i = 0; i < 10_000; i++) {
      await policy.execute(() => i, { signal: controller.signal });
      most = Math.max(most, abortListeners(controller.signal));
    }
    expect(most).toBe(0);
  });
});
