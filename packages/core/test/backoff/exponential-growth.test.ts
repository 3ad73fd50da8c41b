import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exponential } from '../../src/index.js';
import { seededRandom } from '../../src/testing.js';

/** The n-th delay of 1001 seeded sequences, sorted. */
function nthDelays(options: Parameters<typeof exponential>[0], n: number): number[] {
  return Array.from(
    { length: 1001 },
    (_, seed) => exponential({ ...options, random: seededRandom(seed) }).delays(n + 1)[n]!,
  ).sort((a, b) => a - b);
}

describe('decorrelated jitter grows by factor, whatever the factor', () => {
  it('factor 1 keeps delays around initialDelay instead of shrinking them to 0', () => {
    // Polly's formula with 1^t in place of 2^t gave 657, 32, 23, 2, 0, 0... ms: a retry loop with no wait.
    for (const n of [1, 5, 20, 200]) {
      const delays = nthDelays({ initialDelay: 1_000, factor: 1 }, n);
      expect(delays[500]).toBeGreaterThan(400);
      expect(delays[500]).toBeLessThan(600);
      expect(delays[1000]).toBeLessThanOrEqual(1_000 * (2 / 1.4));
    }
  });

  it("the n-th delay's median is initialDelay x factor^n times the same jitter, for any factor", () => {
    const base = nthDelays({ initialDelay: 1_000, factor: 2, maxDelay: 1e12 }, 10).map((d) => d / 2 ** 10);
    for (const factor of [1, 1.1, 1.5, 3]) {
      const scaled = nthDelays({ initialDelay: 1_000, factor, maxDelay: 1e12 }, 10).map(
        (d) => d / factor ** 10,
      );
      scaled.forEach((d, i) => {
        expect(d).toBeCloseTo(base[i]!, 6);
      });
    }
  });

  it('every delay is within [0, 1/1.4 x 2 x initialDelay x factor^n] and never above maxDelay', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 4, noNaN: true }),
        // Subnormal delays (below 1e-308 ms) lose their precision in any arithmetic: 0, or a microsecond and up.
        fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 10_000, noNaN: true })),
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.integer(),
        (factor, initialDelay, maxDelay, seed) => {
          const delays = exponential({ initialDelay, maxDelay, factor, random: seededRandom(seed) }).delays(
            60,
          );
          delays.forEach((d, n) => {
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBeLessThanOrEqual(maxDelay);
            // Relative slack for rounding.
            expect(d).toBeLessThanOrEqual((2 / 1.4) * initialDelay * factor ** n * (1 + 1e-9));
          });
        },
      ),
    );
  });

  it('with factor 1 a delay drawn at the cap does not keep later ones there; with growth it does', () => {
    const flat = exponential({
      initialDelay: 1_000,
      maxDelay: 900,
      factor: 1,
      random: seededRandom(1),
    }).delays(50);
    expect(flat).toContain(900);
    expect(flat.some((d) => d < 900 && d > 0)).toBe(true);
    // Some delay after the first one at the cap is drawn below it again.
    expect(flat.slice(flat.indexOf(900)).some((d) => d < 900)).toBe(true);
    const growing = exponential({
      initialDelay: 1_000,
      maxDelay: 900,
      factor: 1.01,
      random: seededRandom(1),
    }).delays(50);
    const firstCap = growing.indexOf(900);
    expect(growing.slice(firstCap).every((d) => d === 900)).toBe(true);
  });
});
