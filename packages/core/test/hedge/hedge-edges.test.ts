/**
 * hedge at its edges: what its errors say, a budget that refused once is not asked again (not by the timer, not
 * after a failure), a losing attempt's late result is not inspected, an earlier attempt's signal is left alone
 * once it ended, and a function that aborts its caller while it starts leaves its work to the bulkhead around and
 * no timer behind.
 */
import { describe, expect, it } from 'vitest';
import {
  BulkheadRejectedError,
  bulkhead,
  constant,
  hedge,
  isInvalidOptionError,
  pipeline,
  retry,
  sleep,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred, thrown } from '../support/helpers.js';

describe('hedge: what its errors say', () => {
  it('is named hedge by default', () => {
    expect(hedge({ delay: 1 }).name).toBe('hedge');
  });

  it('options that are not an object: they need a delay', () => {
    const error = thrown(() => hedge(undefined as never));
    expect(isInvalidOptionError(error) && error.option).toBe('options');
    expect((error as Error).message).toContain('an options object with delay');
  });

  it('a bad delay: what a delay may be', () => {
    const error = thrown(() => hedge({ delay: -1 }));
    expect(isInvalidOptionError(error) && error.option).toBe('delay');
    expect((error as Error).message).toBe(
      'Invalid option "delay": expected a number >= 0 (Infinity allowed), a function of the hedge number or { percentile }, got -1',
    );
  });

  it('a percentile delay whose max is below its min: delay.max, saying why; max equal to min is fine', () => {
    const error = thrown(() => hedge({ delay: { percentile: 0.9, min: 200, max: 100 } }));
    expect(isInvalidOptionError(error) && error.option).toBe('delay.max');
    expect((error as Error).message).toBe(
      'Invalid option "delay.max": expected a number >= delay.min (200), got 100',
    );
    expect(() => hedge({ delay: { percentile: 0.9, min: 100, max: 100 } })).not.toThrow();
    const negative = thrown(() => hedge({ delay: { percentile: 0.9, max: -1 } }));
    expect(isInvalidOptionError(negative) && negative.option).toBe('delay.max');
  });

  it('a delay function returning a bad value: which hedge and what it returned', async () => {
    const error = await hedge({ delay: () => -5 })
      .execute(() => 'never')
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'Invalid option "delay": delay(1) returned -5; expected a number >= 0 or Infinity',
    );
  });
});

describe('hedge: after a failure', () => {
  it('the hedge it started at once is followed by the next one a delay later', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, maxHedges: 2, clock });
    const starts: number[] = [];
    const result = policy.execute((ctx) => {
      starts.push(clock.now());
      if (ctx.hedge === 0)
        return sleep(10, ctx.signal, clock).then(() => Promise.reject(new Error('fast fail')));
      if (ctx.hedge === 1) return sleep(10_000, ctx.signal, clock).then(() => 'slow');
      return sleep(5, ctx.signal, clock).then(() => 'third');
    });
    await clock.advance(115);
    await expect(result).resolves.toBe('third');
    expect(starts).toEqual([0, 10, 110]);
  });
});

describe('hedge: a budget that refused', () => {
  /** A gate that refuses every retry and counts the asks. */
  function refusing() {
    const gate = {
      asks: 0,
      recordAttempt() {},
      tryAcquireRetry() {
        gate.asks++;
        return false;
      },
    };
    return gate;
  }

  it('is asked once while the primary runs on', async () => {
    const clock = new VirtualClock();
    const budget = refusing();
    const policy = hedge({ delay: 100, maxHedges: 3, budget, clock });
    const result = policy.execute((ctx) => sleep(1_000, ctx.signal, clock).then(() => 'primary'));
    await clock.advance(1_000);
    await expect(result).resolves.toBe('primary');
    expect(budget.asks).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('is not asked again when the primary then fails', async () => {
    const clock = new VirtualClock();
    const budget = refusing();
    const policy = hedge({ delay: 100, maxHedges: 3, budget, clock });
    const error = new Error('primary failed');
    const result = policy.execute((ctx) => sleep(300, ctx.signal, clock).then(() => Promise.reject(error)));
    result.catch(() => {});
    await clock.advance(300);
    await expect(result).rejects.toBe(error);
    expect(budget.asks).toBe(1);
  });
});

describe('hedge: attempts that ended', () => {
  it("a losing attempt's late result is not inspected", async () => {
    const clock = new VirtualClock();
    const inspected: unknown[] = [];
    const policy = hedge({
      delay: 100,
      clock,
      handleResult: (value) => {
        inspected.push(value);
        return false;
      },
    });
    // The primary ignores its signal and answers late.
    const result = policy.execute((ctx) =>
      ctx.hedge === 0
        ? sleep(500, undefined, clock).then(() => 'late')
        : sleep(50, ctx.signal, clock).then(() => 'won'),
    );
    await clock.advance(150);
    await expect(result).resolves.toBe('won');
    await clock.advance(500);
    expect(inspected).toEqual(['won']);
  });

  it("under retry, a caller abort during the backoff leaves alone an earlier attempt's signal", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const policy = pipeline(
      retry({ maxAttempts: 2, backoff: constant(100), clock }),
      hedge({ delay: 1_000, clock }),
    );
    const signals: AbortSignal[] = [];
    const result = policy.execute(
      ({ signal }) => {
        signals.push(signal);
        return Promise.reject(new Error('try again'));
      },
      { signal: controller.signal },
    );
    result.catch(() => {});
    await clock.advance(50);
    controller.abort('stop');
    await expect(result).rejects.toBe('stop');
    // The failed primary started the hedge at once, which failed too: both ended before the abort.
    expect(signals).toHaveLength(2);
    expect(signals.map((signal) => signal.aborted)).toEqual([false, false]);
  });
});

describe('hedge: a function that aborts its caller while it starts', () => {
  it('the caller gets its reason; the bulkhead around keeps the slot until the work ends; no timer stays', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(bulkhead({ maxConcurrent: 1, clock }), hedge({ delay: 100, clock }));
    const controller = new AbortController();
    const work = deferred<string>();
    const result = policy.execute(
      () => {
        controller.abort('changed my mind');
        return work.promise;
      },
      { signal: controller.signal },
    );
    await expect(result).rejects.toBe('changed my mind');
    expect(clock.pendingTimers).toBe(0);
    await expect(policy.execute(() => 'second')).rejects.toBeInstanceOf(BulkheadRejectedError);
    work.resolve('done anyway');
    await clock.advance(0);
    await expect(policy.execute(() => 'third')).resolves.toBe('third');
  });

  it('a delay function that aborts the caller: the function is never called', async () => {
    const controller = new AbortController();
    let calls = 0;
    const policy = hedge({
      delay: () => {
        controller.abort('no');
        return 100;
      },
    });
    await expect(
      policy.execute(
        () => {
          calls++;
          return 'ran';
        },
        { signal: controller.signal },
      ),
    ).rejects.toBe('no');
    expect(calls).toBe(0);
  });
});
