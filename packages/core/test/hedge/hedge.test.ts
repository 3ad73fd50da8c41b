import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ExecutionContext,
  type HedgeEvent,
  hedge,
  InvalidOptionError,
  pipeline,
  retryBudget,
  sleep,
  TimeoutError,
  timeout,
} from '../../src/index.js';
import { seededRandom, VirtualClock } from '../../src/testing.js';
import { abortListeners, stateOf } from '../support/helpers.js';

/** An attempt that settles after `ms` on the clock (or rejects with its signal's reason when aborted). */
function after<T>(clock: VirtualClock, ms: number, ctx: ExecutionContext, value: T): Promise<T> {
  return sleep(ms, ctx.signal, clock).then(() => value);
}

function failAfter(clock: VirtualClock, ms: number, ctx: ExecutionContext, error: unknown): Promise<never> {
  return sleep(ms, ctx.signal, clock).then(() => {
    throw error;
  });
}

describe('hedge: winning and losing', () => {
  it('returns the primary result with no hedge and no timer left when the primary wins before the delay', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, maxHedges: 2, clock });
    const hedges: HedgeEvent[] = [];
    policy.on('hedge', (e) => hedges.push(e));
    const seen: number[] = [];
    const result = policy.execute((ctx) => {
      seen.push(ctx.hedge);
      return after(clock, 50, ctx, 'primary');
    });
    await clock.advance(50);
    await expect(result).resolves.toBe('primary');
    expect(seen).toEqual([0]);
    expect(hedges).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('starts a hedge after the delay; the hedge wins and the primary signal is aborted', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock, name: 'h' });
    const hedges: HedgeEvent[] = [];
    policy.on('hedge', (e) => hedges.push(e));
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return after(clock, ctx.hedge === 0 ? 1000 : 50, ctx, `attempt ${ctx.hedge}`);
    });
    await clock.advance(99);
    expect(signals).toHaveLength(1);
    await clock.advance(1);
    expect(signals).toHaveLength(2);
    expect(hedges).toEqual([{ policy: 'h', hedge: 1 }]);
    await clock.advance(50);
    await expect(result).resolves.toBe('attempt 1');
    expect(signals[0]!.aborted).toBe(true);
    expect((signals[0]!.reason as DOMException).name).toBe('AbortError');
    expect(signals[1]!.aborted).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets the primary win after a hedge started, aborting the hedge', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return after(clock, ctx.hedge === 0 ? 150 : 500, ctx, ctx.hedge);
    });
    await clock.advance(150);
    await expect(result).resolves.toBe(0);
    expect(signals.map((s) => s.aborted)).toEqual([false, true]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('spaces hedges by a delay function of the hedge number and never exceeds maxHedges', async () => {
    const clock = new VirtualClock();
    const asked: number[] = [];
    const policy = hedge({
      delay: (n) => {
        asked.push(n);
        return 100 * n;
      },
      maxHedges: 3,
      clock,
    });
    const starts: Array<[number, number]> = [];
    const result = policy.execute((ctx) => {
      starts.push([ctx.hedge, clock.now()]);
      return after(clock, 10_000, ctx, ctx.hedge);
    });
    await clock.advance(5000);
    expect(starts).toEqual([
      [0, 0],
      [1, 100],
      [2, 300],
      [3, 600],
    ]);
    expect(asked).toEqual([1, 2, 3]);
    await clock.advance(10_000);
    await expect(result).resolves.toBe(0);
  });

  it('with delay 0 starts every attempt at once (parallel mode)', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 0, maxHedges: 2, clock });
    const starts: number[] = [];
    const result = policy.execute((ctx) => {
      starts.push(ctx.hedge);
      return after(clock, 30 - ctx.hedge * 10, ctx, ctx.hedge);
    });
    expect(starts).toEqual([0, 1, 2]);
    await clock.advance(10);
    await expect(result).resolves.toBe(2);
  });

  it('accepts functions returning plain values and throwing synchronously', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    await expect(policy.execute(() => 42)).resolves.toBe(42);
    let calls = 0;
    const result = policy.execute((ctx) => {
      calls++;
      if (ctx.hedge === 0) throw new Error('sync');
      return 'second';
    });
    await expect(result).resolves.toBe('second');
    expect(calls).toBe(2);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('hedge: failures', () => {
  it('starts the next hedge at once when an attempt fails before the delay', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const starts: number[] = [];
    const result = policy.execute((ctx) => {
      starts.push(clock.now());
      return ctx.hedge === 0
        ? failAfter(clock, 10, ctx, new Error('boom'))
        : after(clock, 20, ctx, 'rescued');
    });
    await clock.advance(30);
    await expect(result).resolves.toBe('rescued');
    expect(starts).toEqual([0, 10]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not fail while another attempt is still running', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const result = policy.execute((ctx) =>
      ctx.hedge === 0
        ? after(clock, 500, ctx, 'slow primary')
        : failAfter(clock, 10, ctx, new Error('hedge')),
    );
    await clock.advance(110);
    expect(await stateOf(result)).toBe('pending');
    await clock.advance(400);
    await expect(result).resolves.toBe('slow primary');
  });

  it('rejects with the error of the attempt that failed last once every attempt failed', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, maxHedges: 2, clock });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e.error));
    // Primary fails last (t=400), hedge 1 at t=150, hedge 2 (started at once by that failure) at t=170.
    const latency = [400, 50, 20];
    const result = policy.execute((ctx) =>
      failAfter(clock, latency[ctx.hedge]!, ctx, new Error(`fail ${ctx.hedge}`)),
    );
    const settled = expect(result).rejects.toThrow('fail 0');
    await clock.runAll();
    await settled;
    expect(failures).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an error `handle` rejects ends everything at once and aborts the other attempts', async () => {
    const clock = new VirtualClock();
    const fatal = new Error('fatal');
    const policy = hedge({ delay: 100, maxHedges: 2, clock, handle: (e) => e !== fatal });
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return ctx.hedge === 0 ? after(clock, 1000, ctx, 'late') : failAfter(clock, 10, ctx, fatal);
    });
    const settled = expect(result).rejects.toBe(fatal);
    await clock.advance(110);
    await settled;
    expect(signals).toHaveLength(2);
    expect(signals[0]!.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('with delay Infinity hedges only on failure', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: Number.POSITIVE_INFINITY, maxHedges: 1, clock });
    let calls = 0;
    const slow = policy.execute((ctx) => {
      calls++;
      return after(clock, 10_000, ctx, 'slow');
    });
    expect(clock.pendingTimers).toBe(1); // only the attempt's own sleep
    await clock.advance(10_000);
    await expect(slow).resolves.toBe('slow');
    expect(calls).toBe(1);
    const failing = policy.execute((ctx) => (ctx.hedge === 0 ? Promise.reject(new Error('x')) : 'second'));
    await expect(failing).resolves.toBe('second');
  });

  it('with maxHedges 0 is a pass-through', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 10, maxHedges: 0, clock });
    const error = new Error('only');
    await expect(policy.execute(() => Promise.reject(error))).rejects.toBe(error);
    const slow = policy.execute((ctx) => after(clock, 100, ctx, 'one'));
    await clock.advance(100);
    await expect(slow).resolves.toBe('one');
  });
});

describe('hedge: abort', () => {
  it('a caller abort rejects at once with its reason, aborts every attempt and leaves nothing behind', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, maxHedges: 2, clock });
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    // The attempts ignore their signal: the execution must still reject promptly.
    const result = policy.execute(
      (ctx) => {
        signals.push(ctx.signal);
        return new Promise(() => {});
      },
      { signal: controller.signal },
    );
    await clock.advance(150);
    expect(signals).toHaveLength(2);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(signals.every((s) => s.aborted && s.reason === reason)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('does not call the function when the signal is already aborted', async () => {
    const policy = hedge({ delay: 100, clock: new VirtualClock() });
    const reason = new Error('already');
    let calls = 0;
    await expect(
      policy.execute(
        () => {
          calls++;
        },
        { signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason);
    expect(calls).toBe(0);
  });

  it('removes its listeners from the caller signal once settled', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, maxHedges: 2, clock });
    const controller = new AbortController();
    const result = policy.execute((ctx) => after(clock, ctx.hedge === 0 ? 1000 : 10, ctx, ctx.hedge), {
      signal: controller.signal,
    });
    await clock.advance(110);
    await expect(result).resolves.toBe(1);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an outer timeout aborts every attempt', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      timeout(250, { clock, resolution: 0 }),
      hedge({ delay: 100, maxHedges: 3, clock }),
    );
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return after(clock, 1000, ctx, 'never');
    });
    const settled = expect(result).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(250);
    await settled;
    expect(signals).toHaveLength(3);
    expect(signals.every((s) => s.aborted)).toBe(true);
    await clock.runAll();
    expect(clock.pendingTimers).toBe(0);
  });

  it('an inner timeout bounds each attempt separately', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      hedge({ delay: 100, maxHedges: 1, clock }),
      timeout(150, { clock, resolution: 0 }),
    );
    const result = policy.execute((ctx) => after(clock, ctx.hedge === 0 ? 1000 : 100, ctx, ctx.hedge));
    await clock.advance(200);
    await expect(result).resolves.toBe(1);
  });
});

describe('hedge: budget', () => {
  it('takes one retry per hedge from the budget and stops hedging once refused', async () => {
    const clock = new VirtualClock();
    let granted = 0;
    const budget = {
      recorded: 0,
      recordAttempt() {
        this.recorded++;
      },
      tryAcquireRetry: () => granted++ < 1,
    };
    const policy = hedge({ delay: 100, maxHedges: 3, clock, budget });
    let calls = 0;
    const result = policy.execute((ctx) => {
      calls++;
      return after(clock, 1000, ctx, ctx.hedge);
    });
    await clock.advance(1000);
    await expect(result).resolves.toBe(0);
    expect(calls).toBe(2);
    expect(budget.recorded).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('with a shared retryBudget, a slow dependency gets at most the budgeted extra load', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0.1, minRetriesPerSecond: 0, window: 60_000, clock });
    const policy = hedge({ delay: 10, maxHedges: 2, clock, budget });
    let calls = 0;
    const runs = Array.from({ length: 200 }, () =>
      policy.execute((ctx) => {
        calls++;
        return after(clock, 100, ctx, 'ok');
      }),
    );
    await clock.runAll();
    await Promise.all(runs);
    expect(calls).toBe(220);
  });

  it('fails after the primary when the budget refuses the hedge a failure would start', async () => {
    const clock = new VirtualClock();
    const policy = hedge({
      delay: 100,
      clock,
      budget: { recordAttempt() {}, tryAcquireRetry: () => false },
    });
    const error = new Error('primary');
    await expect(policy.execute(() => Promise.reject(error))).rejects.toBe(error);
  });
});

describe('hedge: options', () => {
  it.each([
    [{}],
    [{ delay: -1 }],
    [{ delay: Number.NaN }],
    [{ delay: '100' }],
    [{ delay: 10, maxHedges: -1 }],
    [{ delay: 10, maxHedges: 1.5 }],
    [{ delay: 10, handle: 'x' }],
    [{ delay: 10, budget: {} }],
  ])('rejects %o at construction', (options) => {
    expect(() => hedge(options as never)).toThrow(InvalidOptionError);
  });

  it('a delay function returning a bad value for the first hedge rejects before calling fn', async () => {
    const policy = hedge({ delay: () => Number.NaN, clock: new VirtualClock() });
    let calls = 0;
    await expect(
      policy.execute(() => {
        calls++;
      }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    expect(calls).toBe(0);
  });

  it('a delay function returning a bad value later rejects with InvalidOptionError and aborts the attempts', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: (n) => (n === 1 ? 100 : -5), maxHedges: 2, clock });
    const signals: AbortSignal[] = [];
    const result = policy.execute((ctx) => {
      signals.push(ctx.signal);
      return after(clock, 1000, ctx, 'x');
    });
    const settled = expect(result).rejects.toBeInstanceOf(InvalidOptionError);
    await clock.advance(100);
    await settled;
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('hedge: concurrency and properties', () => {
  it('runs 300 concurrent executions, each resolving with its fastest attempt, leaving no timers', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 50, maxHedges: 2, clock });
    const random = seededRandom(7);
    const runs = Array.from({ length: 300 }, (_, i) => {
      // Distinct finish times per execution: attempt h starts at 50h and takes latency[h].
      const latency = [0, 1, 2].map((h) => 1 + Math.floor(random() * 40) * 3 + h);
      const finish = latency.map((l, h) => 50 * h + l);
      // An attempt starts only if nothing finished before its start time.
      let winner = 0;
      for (let h = 1; h < 3; h++) {
        if (Math.min(...finish.slice(0, h)) > 50 * h && finish[h]! < finish[winner]!) winner = h;
      }
      return policy
        .execute((ctx) => after(clock, latency[ctx.hedge]!, ctx, ctx.hedge))
        .then((value) => ({ i, value, winner }));
    });
    await clock.runAll();
    const results = await Promise.all(runs);
    for (const r of results) expect(r.value).toBe(r.winner);
    expect(clock.pendingTimers).toBe(0);
  });

  it('property: the first attempt to succeed wins; all-fail rejects with the last failure; no leaks', async () => {
    const attemptArb = fc.record({ latency: fc.integer({ min: 0, max: 500 }), ok: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(
        fc.array(attemptArb, { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 300 }),
        async (script, maxHedges, delay) => {
          const clock = new VirtualClock();
          const policy = hedge({ delay, maxHedges, clock });
          const started: number[] = [];
          const completions: Array<{ hedge: number; ok: boolean }> = [];
          const live = new Set<AbortSignal>();
          const result = policy
            .execute(async (ctx) => {
              started.push(ctx.hedge);
              const { latency, ok } = script[ctx.hedge]!;
              live.add(ctx.signal);
              await sleep(latency, ctx.signal, clock);
              live.delete(ctx.signal);
              completions.push({ hedge: ctx.hedge, ok });
              if (!ok) throw new Error(`fail ${ctx.hedge}`);
              return ctx.hedge;
            })
            .then(
              (value) => ({ ok: true as const, value }),
              (error: Error) => ({ ok: false as const, error }),
            );
          await clock.runAll();
          const outcome = await result;
          expect(started).toEqual([...Array(started.length).keys()]);
          expect(started.length).toBeLessThanOrEqual(maxHedges + 1);
          const firstSuccess = completions.find((c) => c.ok);
          if (outcome.ok) {
            expect(outcome.value).toBe(firstSuccess!.hedge);
          } else {
            // Failure only when every attempt that may start did, and each failed.
            expect(firstSuccess).toBeUndefined();
            expect(started.length).toBe(maxHedges + 1);
            expect(completions).toHaveLength(maxHedges + 1);
            expect(outcome.error.message).toBe(`fail ${completions.at(-1)!.hedge}`);
          }
          // Attempts that had not finished were aborted; nothing is left scheduled.
          for (const signal of live) expect(signal.aborted).toBe(true);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
