import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ExecutionContext, hedge, InvalidOptionError, sleep } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

/** An attempt that settles after `ms` on the clock (or rejects with its signal's reason when aborted). */
function after<T>(clock: VirtualClock, ms: number, ctx: ExecutionContext, value: T): Promise<T> {
  return sleep(ms, ctx.signal, clock).then(() => value);
}

describe('hedge: handleResult', () => {
  it('a result it rejects is a failure: the others carry on, the next hedge starts at once, and it never wins', async () => {
    const clock = new VirtualClock();
    const policy = hedge({
      delay: 100,
      maxHedges: 2,
      handleResult: (r) => r === 'empty',
      clock,
    });
    const started: [number, number][] = [];
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      started.push([ctx.hedge, clock.now()]);
      signals.push(ctx.signal);
      // The primary answers 'empty' at 30; hedge 1 answers 'full' at 30 + 50; hedge 2 would take long.
      return after(clock, [30, 50, 500][ctx.hedge]!, ctx, ['empty', 'full', 'late'][ctx.hedge]);
    });
    await clock.advance(30);
    expect(started).toEqual([
      [0, 0],
      [1, 30],
    ]);
    await clock.advance(50);
    await expect(result).resolves.toBe('full');
    // Hedge 1 won at 80, before the delay to hedge 2 ran out.
    expect(started.length).toBe(2);
    expect(signals[0]!.aborted).toBe(false); // settled on its own
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancels the attempts still running on the first acceptable result (their signals abort)', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 10, maxHedges: 2, handleResult: (r) => r === 0, clock });
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return after(clock, [100, 50, 15][ctx.hedge]!, ctx, [1, 2, 3][ctx.hedge]);
    });
    await clock.advance(35);
    await expect(result).resolves.toBe(3);
    expect(signals.map((s) => s.aborted)).toEqual([true, true, false]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves with the outcome of the attempt that ended last when none is acceptable', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 10, maxHedges: 1, handleResult: (r) => (r as number) < 0, clock });
    const result = policy.execute((ctx) => after(clock, ctx.hedge === 0 ? 30 : 50, ctx, -1 - ctx.hedge));
    await clock.advance(60);
    await expect(result).resolves.toBe(-2);
    const failing = hedge({ delay: 10, maxHedges: 1, handleResult: () => true, clock });
    const mixed = failing.execute((ctx) =>
      ctx.hedge === 0
        ? after(clock, 30, ctx, 'bad')
        : after(clock, 50, ctx, 0).then(() => Promise.reject(new Error('last'))),
    );
    const rejected = expect(mixed).rejects.toThrow('last');
    await clock.advance(60);
    await rejected;
  });

  it('a handleResult that throws ends the execution with its error', async () => {
    const clock = new VirtualClock();
    const policy = hedge({
      delay: 100,
      handleResult: () => {
        throw new Error('bad predicate');
      },
      clock,
    });
    await expect(policy.execute(() => 1)).rejects.toThrow('bad predicate');
    expect(() => hedge({ delay: 1, handleResult: 3 as never })).toThrow(/handleResult/);
  });
});

describe('hedge: a delay from observed latencies', () => {
  it('does not hedge while warming up (no max), then hedges past the percentile within [min, max]', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: { percentile: 0.9, window: 10, minSamples: 5, min: 20, max: 400 }, clock });
    const run = async (ms: number) => {
      const started: number[] = [];
      const t0 = clock.now();
      const p = policy.execute((ctx) => {
        started.push(clock.now() - t0);
        return after(clock, ms, ctx, ms);
      });
      await clock.advance(ms);
      await p;
      return started;
    };
    // Warm-up: `initial` defaults to max (400): hedges only past 400 ms.
    expect(await run(300)).toEqual([0]);
    for (const ms of [10, 10, 10, 10]) await run(ms);
    // Samples 300, 10, 10, 10, 10: the 90th percentile is 300.
    expect(await run(350)).toEqual([0, 300]);
    // With mostly 10 ms calls in the window, the p90 is 10, raised to min 20.
    for (let i = 0; i < 10; i++) await run(10);
    expect(await run(100)).toEqual([0, 20]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('with no max and no initial, never hedges during warm-up', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: { percentile: 0.5 }, clock });
    let hedges = 0;
    policy.on('hedge', () => hedges++);
    for (let i = 0; i < 20; i++) {
      const p = policy.execute((ctx) => after(clock, 1000, ctx, i));
      await clock.advance(1000);
      await p;
    }
    expect(hedges).toBe(0);
    // 20 samples of 1000 ms: the median now is 1000, so a 2000 ms call is hedged at 1000.
    const p = policy.execute((ctx) => after(clock, 2000, ctx, 'x'));
    await clock.advance(2000);
    await p;
    expect(hedges).toBe(1);
  });

  it('refuses bad percentile options with InvalidOptionError naming them', () => {
    const bad: [object, string][] = [
      [{ percentile: 0 }, 'delay.percentile'],
      [{ percentile: 1.5 }, 'delay.percentile'],
      [{}, 'delay'],
      [{ percentile: undefined }, 'delay.percentile'],
      [{ percentile: 0.9, min: -1 }, 'delay.min'],
      [{ percentile: 0.9, min: 50, max: 10 }, 'delay.max'],
      [{ percentile: 0.9, window: 0 }, 'delay.window'],
      [{ percentile: 0.9, window: 10, minSamples: 11 }, 'delay.minSamples'],
      [{ percentile: 0.9, initial: -5 }, 'delay.initial'],
    ];
    for (const [delay, option] of bad) {
      let error: unknown;
      try {
        hedge({ delay: delay as never });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
    }
    expect(() => hedge({ delay: null as never })).toThrow(InvalidOptionError);
  });

  it('the delay is always the percentile of the last `window` successful latencies, clamped to [min, max]', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 100 }),
        async (latencies, percentile, window, min) => {
          const clock = new VirtualClock();
          const max = min + 200;
          const policy = hedge({
            delay: { percentile, window, minSamples: 1, min, max },
            maxHedges: 0,
            clock,
          });
          for (const ms of latencies) {
            const p = policy.execute((ctx) => after(clock, ms, ctx, ms));
            await clock.advance(ms);
            await p;
          }
          const recent = latencies.slice(-window).sort((a, b) => a - b);
          const expected = recent[Math.max(0, Math.ceil(percentile * recent.length) - 1)]!;
          expect(policy.delayBefore(1)).toBe(Math.min(max, Math.max(min, expected)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
