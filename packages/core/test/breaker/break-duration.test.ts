/** The breakDuration option: each break computed from the failure statistics. On a virtual clock. */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { exponential } from '../../src/backoff/index.js';
import { type BreakStats, circuitBreaker, consecutive, countWindow } from '../../src/breaker/index.js';
import { BrokenCircuitError, InvalidOptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');
const retryAfter = async (promise: Promise<unknown>): Promise<number | undefined> => {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BrokenCircuitError);
  return (error as BrokenCircuitError).retryAfterMs;
};

describe('breakDuration', () => {
  it("sees the strategy's window when the circuit trips, and its answer is the break", async () => {
    const clock = new VirtualClock();
    const seen: BreakStats[] = [];
    const breaker = circuitBreaker({
      clock,
      strategy: countWindow({ size: 4, minimumCalls: 4, failureRatio: 0.75 }),
      halfOpenAfter: 1_000,
      breakDuration: (stats) => {
        seen.push(stats);
        return stats.failureRatio * 10_000;
      },
    });
    await breaker.execute(ok);
    for (let i = 0; i < 3; i++) await breaker.execute(boom).catch(() => {});
    expect(seen).toEqual([
      { calls: 4, failures: 3, failureRatio: 0.75, breaks: 1, halfOpenAttempts: 0, halfOpenAfter: 1_000 },
    ]);
    expect(await retryAfter(breaker.execute(ok))).toBe(7_500);
  });

  it("sees the probes when half-open reopens, and composes with a growing halfOpenAfter's own break", async () => {
    const clock = new VirtualClock();
    const seen: BreakStats[] = [];
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      halfOpenAfter: exponential({ initialDelay: 100, maxDelay: 10_000, jitter: 'none' }),
      halfOpenProbes: 3,
      halfOpenSuccessThreshold: 2,
      breakDuration: (stats) => {
        seen.push(stats);
        return stats.halfOpenAfter * 2;
      },
    });
    await breaker.execute(boom).catch(() => {});
    expect(await retryAfter(breaker.execute(ok))).toBe(200);
    await clock.advance(200);
    await breaker.execute(ok);
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {}); // 2 of 3 failed: cannot close
    expect(seen[1]).toEqual({
      calls: 3,
      failures: 2,
      failureRatio: 2 / 3,
      breaks: 2,
      halfOpenAttempts: 1,
      halfOpenAfter: 200,
    });
    expect(await retryAfter(breaker.execute(ok))).toBe(400);
  });

  it("falls back to halfOpenAfter's break for an answer that is not a finite number >= 0", async () => {
    for (const answer of [Number.NaN, -1, Number.POSITIVE_INFINITY, '5000', undefined, null]) {
      const clock = new VirtualClock();
      const breaker = circuitBreaker({
        clock,
        strategy: consecutive(1),
        halfOpenAfter: 1_234,
        breakDuration: () => answer as number,
      });
      await breaker.execute(boom).catch(() => {});
      expect(await retryAfter(breaker.execute(ok))).toBe(1_234);
    }
  });

  it('a throwing function: the circuit still opens for halfOpenAfter, and the error is rethrown detached', async () => {
    const detached: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
      detached.push(callback);
    });
    const clock = new VirtualClock();
    const bug = new Error('bug in the generator');
    try {
      const breaker = circuitBreaker({
        clock,
        strategy: consecutive(1),
        halfOpenAfter: 500,
        breakDuration: () => {
          throw bug;
        },
      });
      const failure = await breaker.execute(boom).catch((e: unknown) => e);
      expect((failure as Error).message).toBe('boom'); // the caller gets its own error
      expect(breaker.state).toBe('open');
      expect(await retryAfter(breaker.execute(ok))).toBe(500);
    } finally {
      spy.mockRestore();
    }
    expect(detached).toHaveLength(1);
    expect(() => detached[0]!()).toThrow(bug);
  });

  it('must be a function', () => {
    expect(() => circuitBreaker({ breakDuration: 5_000 as never })).toThrow(InvalidOptionError);
    expect(() => circuitBreaker({ breakDuration: 5_000 as never })).toThrow(/breakDuration/);
  });

  it('property: every break is the answer when valid, else halfOpenAfter, and counts in the series', async () => {
    const answerArb = fc.oneof(
      fc.integer({ min: 0, max: 5_000 }),
      fc.constantFrom(Number.NaN, -5, Number.POSITIVE_INFINITY),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(answerArb, { minLength: 1, maxLength: 6 }), async (answers) => {
        const clock = new VirtualClock();
        const seen: BreakStats[] = [];
        const breaker = circuitBreaker({
          clock,
          strategy: consecutive(1),
          halfOpenAfter: exponential({ initialDelay: 10, maxDelay: 1_000, jitter: 'none' }),
          breakDuration: (stats) => {
            seen.push(stats);
            return answers[seen.length - 1]!;
          },
        });
        for (let i = 0; i < answers.length; i++) {
          await breaker.execute(boom).catch(() => {}); // trips, then each failed probe reopens
          const stats = seen[i]!;
          expect(stats.breaks).toBe(i + 1);
          expect(stats.halfOpenAttempts).toBe(i);
          expect(stats.halfOpenAfter).toBe(Math.min(10 * 2 ** i, 1_000));
          const answer = answers[i]!;
          const expected = Number.isFinite(answer) && answer >= 0 ? answer : stats.halfOpenAfter;
          if (expected > 0) expect(await retryAfter(breaker.execute(ok))).toBe(expected);
          await clock.advance(expected);
          expect(breaker.state).toBe('halfOpen');
        }
      }),
      { numRuns: 100 },
    );
  });
});
