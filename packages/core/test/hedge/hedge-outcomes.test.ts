/**
 * What a hedge reports and tells the attempts it stops: `success` and `failure` timed from the execution's start
 * on the policy's clock; the reason a losing attempt's signal aborts with (another attempt won, or the execution
 * already failed); a percentile delay learnt from each winning attempt's own latency (a hedge's from its own
 * start); `maxHedges: 0` never asks the delay.
 */
import { describe, expect, it } from 'vitest';
import { type ExecutionContext, hedge, sleep } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

/** Settles after `ms` on the clock with `value` (or rejects with the signal's reason once it aborts). */
function after<T>(clock: VirtualClock, ms: number, ctx: ExecutionContext, value: T): Promise<T> {
  return sleep(ms, ctx.signal, clock).then(() => value);
}

/** A promise that only ends when the signal aborts, with its reason. */
function hang(ctx: ExecutionContext): Promise<never> {
  return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
}

describe('hedge: success and failure events', () => {
  it('a hedge that wins: success timed from the execution start, not the hedge start', async () => {
    const clock = new VirtualClock(1_000);
    const policy = hedge({ delay: 100, clock });
    const durations: number[] = [];
    policy.on('success', (e) => durations.push(e.duration));
    const result = policy.execute((ctx) => (ctx.hedge === 0 ? hang(ctx) : after(clock, 50, ctx, 'hedge')));
    await clock.advance(150);
    await expect(result).resolves.toBe('hedge');
    expect(durations).toEqual([150]);
  });

  it('every attempt failing: one failure, with the last error, timed from the start', async () => {
    const clock = new VirtualClock(1_000);
    const policy = hedge({ delay: 100, clock, name: 'h' });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e));
    const errors = [new Error('primary'), new Error('hedge')];
    const result = policy.execute((ctx) =>
      sleep(ctx.hedge === 0 ? 300 : 120, ctx.signal, clock).then(() => {
        throw errors[ctx.hedge];
      }),
    );
    result.catch(() => {});
    await clock.advance(300);
    await expect(result).rejects.toBe(errors[0]);
    expect(failures).toEqual([{ policy: 'h', error: errors[0], duration: 300 }]);
  });
});

describe('hedge: why a stopped attempt is aborted', () => {
  it('another attempt won: an AbortError saying so', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return ctx.hedge === 0 ? hang(ctx) : after(clock, 10, ctx, 'won');
    });
    await clock.advance(110);
    await expect(result).resolves.toBe('won');
    const reason = signals[0]!.reason as DOMException;
    expect(reason.name).toBe('AbortError');
    expect(reason.message).toBe('Another hedged attempt succeeded first');
  });

  it('an attempt failed with an error `handle` refuses: the others are told the execution failed', async () => {
    const clock = new VirtualClock();
    const fatal = new Error('fatal');
    const policy = hedge({ delay: 100, clock, handle: (e) => e !== fatal });
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return ctx.hedge === 0 ? hang(ctx) : sleep(10, ctx.signal, clock).then(() => Promise.reject(fatal));
    });
    result.catch(() => {});
    await clock.advance(110);
    await expect(result).rejects.toBe(fatal);
    const reason = signals[0]!.reason as DOMException;
    expect(reason.name).toBe('AbortError');
    expect(reason.message).toBe('The hedged execution already failed');
  });

  it('a delay function failing for a later hedge: the running attempts are told the execution failed', async () => {
    const clock = new VirtualClock();
    const policy = hedge({
      delay: (n) => (n === 1 ? 100 : Number.NaN),
      maxHedges: 2,
      clock,
    });
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return hang(ctx);
    });
    result.catch(() => {});
    await clock.advance(100);
    await expect(result).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'delay' });
    expect(signals).toHaveLength(2);
    for (const signal of signals) {
      expect((signal.reason as DOMException).message).toBe('The hedged execution already failed');
    }
  });
});

describe('hedge: delays', () => {
  it('maxHedges 0 never asks the delay function (a bad one does not matter)', async () => {
    let asked = 0;
    const policy = hedge({
      delay: () => {
        asked++;
        return -1;
      },
      maxHedges: 0,
    });
    await expect(policy.execute(() => 'alone')).resolves.toBe('alone');
    expect(asked).toBe(0);
  });

  it("a percentile delay learns a winning hedge's latency from the hedge's own start", async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: { percentile: 1, window: 1, minSamples: 1, initial: 100 }, clock });
    const starts: number[] = [];
    // First execution: the primary hangs, the hedge starts at 100 and answers 30 ms later.
    const first = policy.execute((ctx) => {
      starts.push(clock.now());
      return ctx.hedge === 0 ? hang(ctx) : after(clock, 30, ctx, 'first');
    });
    await clock.advance(130);
    await expect(first).resolves.toBe('first');
    // Second execution: the hedge starts 30 ms after the primary (the latency learnt), not 130.
    const t0 = clock.now();
    const second = policy.execute((ctx) => {
      starts.push(clock.now() - t0);
      return ctx.hedge === 0 ? hang(ctx) : after(clock, 5, ctx, 'second');
    });
    await clock.advance(35);
    await expect(second).resolves.toBe('second');
    expect(starts).toEqual([0, 100, 0, 30]);
  });
});
