import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constant, exponential, InvalidOptionError, isInvalidOptionError, linear } from '../../src/index.js';
import { seededRandom } from '../../src/testing.js';
import { thrown } from '../support/helpers.js';

const jitters = ['none', 'full', 'equal', 'decorrelated'] as const;
const delayArb = fc.double({ min: 0, max: 1e7, noNaN: true });
const optionsArb = fc.record({
  initialDelay: delayArb,
  maxDelay: delayArb,
  factor: fc.double({ min: 1, max: 10, noNaN: true }),
  jitter: fc.constantFrom(...jitters),
});
/** A random source that may return any double, including out-of-range and NaN values. */
const hostileRandomArb = fc.array(fc.double(), { minLength: 1, maxLength: 20 }).map((values) => {
  let i = 0;
  return () => values[i++ % values.length]!;
});

describe('exponential backoff', () => {
  it('every jitter and option set yields delays within [0, maxDelay], even with a hostile random source', () => {
    fc.assert(
      fc.property(
        optionsArb,
        hostileRandomArb,
        fc.integer({ min: 1, max: 1100 }),
        (options, random, count) => {
          const delays = exponential({ ...options, random }).delays(count);
          for (const d of delays) {
            if (!(Number.isFinite(d) && d >= 0 && d <= options.maxDelay))
              throw new Error(`delay ${d} out of bounds`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('without jitter equals min(maxDelay, initialDelay * factor^n)', () => {
    fc.assert(
      fc.property(optionsArb, fc.integer({ min: 1, max: 60 }), (options, count) => {
        const delays = exponential({ ...options, jitter: 'none' }).delays(count);
        delays.forEach((d, n) => {
          expect(d).toBe(Math.min(options.maxDelay, options.initialDelay * options.factor ** n));
        });
      }),
    );
  });

  it('full jitter lies in [0, min(cap, base * factor^n)]', () => {
    fc.assert(
      fc.property(optionsArb, fc.integer(), fc.integer({ min: 1, max: 60 }), (options, seed, count) => {
        const delays = exponential({ ...options, jitter: 'full', random: seededRandom(seed) }).delays(count);
        delays.forEach((d, n) => {
          const ceiling = Math.min(options.maxDelay, options.initialDelay * options.factor ** n);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(ceiling);
        });
      }),
    );
  });

  it('equal jitter lies in [half, full] of min(cap, base * factor^n)', () => {
    fc.assert(
      fc.property(optionsArb, fc.integer(), fc.integer({ min: 1, max: 60 }), (options, seed, count) => {
        const delays = exponential({ ...options, jitter: 'equal', random: seededRandom(seed) }).delays(count);
        delays.forEach((d, n) => {
          const ceiling = Math.min(options.maxDelay, options.initialDelay * options.factor ** n);
          expect(d).toBeGreaterThanOrEqual(ceiling / 2);
          expect(d).toBeLessThanOrEqual(ceiling);
        });
      }),
    );
  });

  it('decorrelated jitter follows the DecorrelatedJitterV2 formula', () => {
    // t = n + r; next = 2^t * tanh(sqrt(4t)); delay = (next - prev) / 1.4 * base
    const randoms = [0.25, 0.5, 0.75, 0.1];
    let i = 0;
    const random = () => randoms[i++]!;
    const delays = exponential({ initialDelay: 1000, maxDelay: 1e9, jitter: 'decorrelated', random }).delays(
      4,
    );
    let prev = 0;
    const expected = randoms.map((r, n) => {
      const t = n + r;
      const next = 2 ** t * Math.tanh(Math.sqrt(4 * t));
      const delay = ((next - prev) / 1.4) * 1000;
      prev = next;
      return delay;
    });
    delays.forEach((d, n) => {
      expect(d).toBeCloseTo(expected[n]!, 6);
    });
  });

  it('decorrelated delays have a median first delay near initialDelay and stay on the cap once reached', () => {
    const firsts = Array.from(
      { length: 2001 },
      (_, s) => exponential({ random: seededRandom(s) }).delays(1)[0]!,
    );
    firsts.sort((a, b) => a - b);
    const median = firsts[1000]!;
    expect(median).toBeGreaterThan(140);
    expect(median).toBeLessThan(260);
    const long = exponential({ maxDelay: 5_000, random: seededRandom(3) }).delays(200);
    const firstCap = long.indexOf(5_000);
    expect(firstCap).toBeGreaterThan(0);
    expect(long.slice(firstCap).every((d) => d === 5_000)).toBe(true);
  });

  it('is immutable and can be shared by concurrent sequences', () => {
    const backoff = exponential({ jitter: 'none', initialDelay: 100 });
    expect(Object.isFrozen(backoff)).toBe(true);
    const a = backoff.start();
    const b = backoff.start();
    expect([a.next(), a.next(), b.next(), a.next(), b.next()]).toEqual([100, 200, 100, 400, 200]);
  });

  it('draws the same sequence from the same seed', () => {
    const backoff = exponential();
    expect(backoff.delays(10, seededRandom(42))).toEqual(backoff.delays(10, seededRandom(42)));
  });

  it('rejects invalid options at construction with a clear error', () => {
    const bad = [
      { initialDelay: -1 },
      { initialDelay: Number.NaN },
      { maxDelay: Number.POSITIVE_INFINITY },
      { maxDelay: -5 },
      { factor: 0.5 },
      { factor: Number.NaN },
      { jitter: 'random' as never },
      { random: 42 as never },
    ];
    for (const options of bad) {
      expect(() => exponential(options)).toThrow(InvalidOptionError);
    }
    try {
      exponential({ initialDelay: -1 });
    } catch (error) {
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as InvalidOptionError).option).toBe('initialDelay');
      expect((error as Error).message).toMatch(/initialDelay.*-1/);
    }
  });
});

describe('constant and linear backoff', () => {
  it('constant repeats its delay', () => {
    expect(constant(250).delays(4)).toEqual([250, 250, 250, 250]);
    expect(() => constant(-1)).toThrow(InvalidOptionError);
    expect(() => constant(Number.NaN)).toThrow(InvalidOptionError);
  });

  it('linear grows by its step and stays within [0, maxDelay]', () => {
    expect(linear({ initialDelay: 100, step: 50, maxDelay: 260 }).delays(6)).toEqual([
      100, 150, 200, 250, 260, 260,
    ]);
    expect(linear(100).delays(3)).toEqual([100, 200, 300]);
    fc.assert(
      fc.property(delayArb, delayArb, delayArb, fc.integer({ min: 1, max: 100 }), (a, b, c, n) => {
        const [initialDelay, maxDelay] = [a, c];
        for (const d of linear({ initialDelay, step: b, maxDelay }).delays(n)) {
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(maxDelay);
        }
      }),
    );
    expect(() => linear({ step: -1 })).toThrow(InvalidOptionError);
  });

  it('linear and exponential validate and cap the same values alike: an initialDelay above maxDelay yields maxDelay', () => {
    expect(linear({ initialDelay: 500, maxDelay: 100 }).delays(3)).toEqual([100, 100, 100]);
    expect(exponential({ initialDelay: 500, maxDelay: 100, jitter: 'none' }).delays(3)).toEqual([
      100, 100, 100,
    ]);
    fc.assert(
      fc.property(delayArb, delayArb, fc.integer({ min: 1, max: 20 }), (initialDelay, maxDelay, n) => {
        // No growth: both are min(initialDelay, maxDelay) at every step, for every pair of values.
        const flatLinear = linear({ initialDelay, maxDelay, step: 0 }).delays(n);
        const flatExponential = exponential({ initialDelay, maxDelay, factor: 1, jitter: 'none' }).delays(n);
        expect(flatLinear).toEqual(flatExponential);
        expect(flatLinear).toEqual(Array.from({ length: n }, () => Math.min(initialDelay, maxDelay)));
      }),
    );
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, null, '5']) {
      for (const option of ['initialDelay', 'maxDelay'] as const) {
        const fromLinear = thrown(() => linear({ [option]: bad as number }));
        const fromExponential = thrown(() => exponential({ [option]: bad as number }));
        expect(isInvalidOptionError(fromLinear) && fromLinear.option).toBe(option);
        expect(isInvalidOptionError(fromExponential) && fromExponential.option).toBe(option);
      }
    }
  });

  it('delays(count) refuses a count it cannot hold instead of running out of memory', () => {
    for (const backoff of [constant(1), linear(), exponential()]) {
      for (const count of [Number.NaN, -1, 2.5, Number.POSITIVE_INFINITY, 1e9]) {
        const error = thrown(() => backoff.delays(count));
        expect(isInvalidOptionError(error) && error.option).toBe('count');
      }
      expect(backoff.delays(0)).toEqual([]);
    }
  });
});

describe('backoff jitter with a misbehaving random source', () => {
  it.each([
    ['NaN', () => Number.NaN],
    ['undefined', () => undefined],
    ['a string', () => '0.5'],
  ])(
    'a draw of %s is replaced by a fair draw, not by 0 (full jitter would retry at once)',
    (_name, random) => {
      const firsts = Array.from(
        { length: 200 },
        () =>
          exponential({ jitter: 'full', initialDelay: 1_000, random: random as () => number }).delays(1)[0]!,
      );
      const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
      // Uniform in [0, 1000]: the mean is ~500; a fixed 0 (or a fixed anything) would not spread.
      expect(mean).toBeGreaterThan(300);
      expect(mean).toBeLessThan(700);
      expect(new Set(firsts).size).toBeGreaterThan(100);
    },
  );
});
