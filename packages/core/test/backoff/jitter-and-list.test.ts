import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constant, isInvalidOptionError, linear, listBackoff, retry } from '../../src/index.js';
import { seededRandom, VirtualClock } from '../../src/testing.js';
import { flaky, thrown } from '../support/helpers.js';

const delayArb = fc.double({ min: 0, max: 1e7, noNaN: true });
/** A random source that may return any double, including out-of-range and NaN values. */
const hostileRandomArb = fc.array(fc.double(), { minLength: 1, maxLength: 20 }).map((values) => {
  let i = 0;
  return () => values[i++ % values.length]!;
});
const simpleJitterArb = fc.constantFrom('none', 'full', 'equal' as const);

/** The bounds of one jittered delay whose un-jittered value is `ceiling`. */
function bounds(jitter: 'none' | 'full' | 'equal', ceiling: number): [number, number] {
  return jitter === 'none' ? [ceiling, ceiling] : jitter === 'full' ? [0, ceiling] : [ceiling / 2, ceiling];
}

describe('constant and linear jitter', () => {
  it('constant: every delay stays within its jitter bounds, whatever the random source returns', () => {
    fc.assert(
      fc.property(delayArb, simpleJitterArb, hostileRandomArb, (delay, jitter, random) => {
        const [low, high] = bounds(jitter, delay);
        for (const d of constant(delay, { jitter, random }).delays(50)) {
          if (!(d >= low && d <= high)) throw new Error(`${d} outside [${low}, ${high}]`);
        }
      }),
    );
  });

  it('linear: every delay stays within the jitter bounds of its capped linear value', () => {
    fc.assert(
      fc.property(
        delayArb,
        delayArb,
        delayArb,
        simpleJitterArb,
        hostileRandomArb,
        (initialDelay, step, maxDelay, jitter, random) => {
          const delays = linear({ initialDelay, step, maxDelay, jitter }).delays(30, random);
          delays.forEach((d, n) => {
            const [low, high] = bounds(jitter, Math.min(maxDelay, initialDelay + step * n));
            if (!(d >= low && d <= high)) throw new Error(`delay ${n}: ${d} outside [${low}, ${high}]`);
          });
        },
      ),
    );
  });

  it('jitter spreads delays (not a fixed value) and defaults to none', () => {
    const random = seededRandom(7);
    const full = constant(1_000, { jitter: 'full' }).delays(200, random);
    expect(new Set(full).size).toBeGreaterThan(150);
    expect(Math.min(...full)).toBeLessThan(200);
    const equal = linear({ initialDelay: 100, jitter: 'equal' }).delays(200, random);
    expect(Math.min(...equal.filter((_, i) => i === 0))).toBeGreaterThanOrEqual(50);
    expect(constant(500).delays(3)).toEqual([500, 500, 500]);
    expect(linear(100).delays(3)).toEqual([100, 200, 300]);
  });

  it("retry's random reaches a jittered constant backoff", async () => {
    const clock = new VirtualClock();
    const { fn } = flaky(1, 'ok');
    const waits: number[] = [];
    const policy = retry({ backoff: constant(1_000, { jitter: 'full' }), random: () => 0.25, clock });
    policy.on('retry', (e) => waits.push(e.delay));
    const result = policy.execute(fn);
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
    expect(waits).toEqual([250]);
  });

  it('refuses a bad jitter or random with InvalidOptionError naming it', () => {
    for (const make of [
      () => constant(10, { jitter: 'decorrelated' as never }),
      () => linear({ jitter: 'sometimes' as never }),
    ]) {
      const error = thrown(make);
      expect(isInvalidOptionError(error) && error.option).toBe('jitter');
    }
    const error = thrown(() => constant(10, { random: 0.5 as never }));
    expect(isInvalidOptionError(error) && error.option).toBe('random');
  });
});

describe('listBackoff', () => {
  const listArb = fc.array(delayArb, { minLength: 1, maxLength: 20 });

  it('yields the list in order, then repeats its last delay (default)', () => {
    fc.assert(
      fc.property(listArb, fc.integer({ min: 0, max: 60 }), (list, extra) => {
        const delays = listBackoff(list).delays(list.length + extra);
        expect(delays.slice(0, list.length)).toEqual(list);
        for (const d of delays.slice(list.length)) expect(d).toBe(list.at(-1));
        expect(listBackoff(list).maxDelay).toBe(Math.max(...list));
      }),
    );
  });

  it("with exhausted: 'stop', retry makes at most one retry per delay, whatever maxAttempts says", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 12 }),
        async (list, maxAttempts) => {
          const clock = new VirtualClock();
          const { fn, calls } = flaky(100, 'never');
          const waits: number[] = [];
          const reasons: string[] = [];
          const policy = retry({ maxAttempts, backoff: listBackoff(list, { exhausted: 'stop' }), clock });
          policy.on('retry', (e) => waits.push(e.delay));
          policy.on('giveUp', (e) => reasons.push(e.reason));
          const result = policy.execute(fn);
          result.catch(() => {});
          await clock.runAll();
          await expect(result).rejects.toThrow();
          const attempts = Math.min(maxAttempts, list.length + 1);
          expect(calls.length).toBe(attempts);
          expect(waits).toEqual(list.slice(0, attempts - 1));
          expect(reasons).toEqual(['attempts']);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('with the default, retry repeats the last delay up to maxAttempts', async () => {
    const clock = new VirtualClock();
    const { fn, calls } = flaky(100, 'never');
    const waits: number[] = [];
    const policy = retry({ maxAttempts: 5, backoff: listBackoff([10, 20]), clock });
    policy.on('retry', (e) => waits.push(e.delay));
    const result = policy.execute(fn);
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toThrow();
    expect(calls.length).toBe(5);
    expect(waits).toEqual([10, 20, 20, 20]);
  });

  it('refuses an empty list, a bad delay or a bad exhausted option with InvalidOptionError naming it', () => {
    const cases: [() => unknown, string][] = [
      [() => listBackoff([]), 'delays'],
      [() => listBackoff('100' as never), 'delays'],
      [() => listBackoff([100, Number.NaN]), 'delays[1]'],
      [() => listBackoff([-1]), 'delays[0]'],
      [() => listBackoff([Number.POSITIVE_INFINITY]), 'delays[0]'],
      [() => listBackoff([1], { exhausted: 'never' as never }), 'exhausted'],
    ];
    for (const [make, option] of cases) {
      const error = thrown(make);
      expect(isInvalidOptionError(error) && error.option).toBe(option);
    }
  });

  it('is immutable: changing the array afterwards changes nothing', () => {
    const list = [1, 2, 3];
    const backoff = listBackoff(list);
    list[0] = 99;
    expect(backoff.delays(3)).toEqual([1, 2, 3]);
  });

  it('a custom backoff may declare maxRetries; a value that is not an integer >= 0 is ignored', async () => {
    for (const [maxRetries, attempts] of [
      [1, 2],
      [0, 1],
      [-1, 4],
      [1.5, 4],
      ['2', 4],
    ] as const) {
      const clock = new VirtualClock();
      const { fn, calls } = flaky(100, 'never');
      const backoff = { maxDelay: 10, maxRetries, start: () => ({ next: () => 1 }) } as never;
      const result = retry({ maxAttempts: 4, backoff, clock }).execute(fn);
      result.catch(() => {});
      await clock.runAll();
      await expect(result).rejects.toThrow();
      expect(calls.length).toBe(attempts);
    }
  });
});
