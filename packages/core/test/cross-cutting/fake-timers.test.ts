/**
 * The policies on their default clock under @sinonjs/fake-timers: realClock looks up Date.now and setTimeout when
 * it is called, not when it is loaded, so installing fake timers (even after the policies were built) drives them.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it } from 'vitest';
import { bulkhead, constant, pipeline, rateLimit, retry, timeout, tokenBucket } from '../../src/index.js';
import { stateOf } from '../support/helpers.js';

// Built before the fake timers are installed.
const early = pipeline(retry({ maxAttempts: 3, backoff: constant(1_000) }), timeout(500));

let clock: ReturnType<typeof FakeTimers.install> | undefined;
afterEach(() => {
  clock?.uninstall();
  clock = undefined;
});

describe('under @sinonjs/fake-timers', () => {
  it('retry and timeout: a hung attempt times out, the retry waits its backoff, the next attempt succeeds', async () => {
    clock = FakeTimers.install({ now: 1_000_000 });
    const starts: number[] = [];
    const result = early.execute(({ signal }) => {
      starts.push(Date.now());
      // The first attempt hangs until its timeout aborts it; the second answers at once.
      if (starts.length === 1) {
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }
      return 'ok';
    });
    await clock.tickAsync(1_499);
    expect(await stateOf(result)).toBe('pending');
    await clock.tickAsync(1_000);
    await expect(result).resolves.toBe('ok');
    // 500 ms timeout (plus up to its 5 ms resolution), then the 1 s backoff.
    expect(starts[0]).toBe(1_000_000);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(1_500);
    expect(starts[1]! - starts[0]!).toBeLessThanOrEqual(1_505);
    expect(clock.countTimers()).toBe(0);
  });

  it('bulkhead: a queued call times out while the slot is held, the next one gets the freed slot', async () => {
    clock = FakeTimers.install();
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 2, queueTimeout: 1_000 });
    let finish!: (value: string) => void;
    const holder = policy.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    const impatient = policy.execute(() => 'never runs');
    impatient.catch(() => {});
    await clock.tickAsync(999);
    expect(await stateOf(impatient)).toBe('pending');
    await clock.tickAsync(1);
    await expect(impatient).rejects.toMatchObject({ name: 'BulkheadRejectedError', reason: 'queueTimeout' });
    const next = policy.execute(() => 'next');
    finish('held');
    await expect(holder).resolves.toBe('held');
    await expect(next).resolves.toBe('next');
    expect(clock.countTimers()).toBe(0);
  });

  it('the whole recommended stack, with a rate limiter wait, runs to the end with runAllAsync', async () => {
    clock = FakeTimers.install();
    const policy = pipeline(
      retry({ maxAttempts: 3, backoff: constant(200) }),
      rateLimit({ limits: tokenBucket({ rate: 2, per: 1_000 }) }),
      timeout(1_000),
    );
    let calls = 0;
    const results = Promise.all(
      [1, 2, 3, 4].map((n) =>
        policy.execute(() => (++calls % 3 === 0 ? Promise.reject(new Error('flaky')) : `r${n}`)),
      ),
    );
    await clock.runAllAsync();
    await expect(results).resolves.toEqual(['r1', 'r2', 'r3', 'r4']);
    // Two admitted at once, the rest spaced at two per second: the fake clock moved, no real time passed.
    expect(Date.now()).toBeGreaterThanOrEqual(1_000);
    expect(clock.countTimers()).toBe(0);
  });
});
