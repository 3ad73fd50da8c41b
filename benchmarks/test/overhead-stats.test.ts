/** The statistics the overhead report states its ratios with, and how it picks each peer's version per Node. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admitsMajor, pickPeer } from '../src/overhead/peers.js';
import { poolResults } from '../src/overhead/pool.js';
import { divideIntervals, median, medianInterval, spreadOf } from '../src/overhead/stats.js';

describe('medianInterval', () => {
  it('brackets the median with two of the values, and holds them all below 6 values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 }),
        (xs) => {
          const { low, median: m, high } = medianInterval(xs);
          expect(m).toBe(median(xs));
          expect(low).toBeLessThanOrEqual(m);
          expect(high).toBeGreaterThanOrEqual(m);
          expect(xs).toContain(low);
          expect(xs).toContain(high);
          if (xs.length < 6) {
            expect(low).toBe(Math.min(...xs));
            expect(high).toBe(Math.max(...xs));
          }
        },
      ),
    );
  });

  it('takes the order statistics of a 95 % interval (x(6) and x(15) of 20 values)', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(medianInterval(xs)).toEqual({ median: 10.5, low: 6, high: 15 });
    expect(medianInterval(xs.slice(0, 7))).toEqual({ median: 4, low: 1, high: 7 });
  });

  it('narrows as values are added, where the range between the lowest and the highest only widens', () => {
    const noisy = (n: number) => Array.from({ length: n }, (_, i) => 1 + ((i * 37) % 11) / 10);
    expect(spreadOf(medianInterval(noisy(80)))).toBeLessThan(spreadOf(medianInterval(noisy(10))));
  });

  it('divides two intervals conservatively', () => {
    const q = divideIntervals({ median: 10, low: 8, high: 12 }, { median: 2, low: 1, high: 4 });
    expect(q).toEqual({ median: 5, low: 2, high: 12 });
  });
});

describe('the peers per Node', () => {
  it('reads the ranges the peers declare in their engines', () => {
    expect(admitsMajor('>=22', 20)).toBe(false);
    expect(admitsMajor('>=22', 24)).toBe(true);
    expect(admitsMajor('^26 || ^24 || ^22', 20)).toBe(false);
    expect(admitsMajor('^24 || ^22 || ^20', 20)).toBe(true);
    expect(admitsMajor('>= 16.0.0', 20)).toBe(true);
    expect(admitsMajor(undefined, 20)).toBe(true);
  });

  it('measures cockatiel 3 on Node 20 and cockatiel 4 on Node 24 (which declares Node >= 22)', () => {
    expect(pickPeer('cockatiel', 20).version).toMatch(/^3\./);
    expect(pickPeer('cockatiel', 24).version).toMatch(/^4\./);
    expect(pickPeer('opossum', 24).version).toMatch(/^10\./);
    expect(pickPeer('p-retry', 20).version).toMatch(/^7\./);
  });
});

describe('poolResults', () => {
  const row = (id: string, library: 'bare' | 'bulwark', ratios: number[], ns: number[], bytes: number) => ({
    composition: id,
    path: 'success' as const,
    library,
    timing: {
      id,
      ns: median(ns),
      ratio: medianInterval(ratios),
      rounds: ratios.length,
      roundRatios: ratios,
      roundNs: ns,
      bytesPerCall: bytes,
    },
  });
  const result = (ratio: number, ns: number, seconds: number) => ({
    node: 'v20',
    v8: '11',
    peers: { cockatiel: '3', opossum: '9', 'p-retry': '7', bottleneck: '2' } as never,
    rows: [
      row('bare', 'bare', [1, 1, 1], [ns, ns, ns], 0),
      row('retry', 'bulwark', [ratio, ratio, ratio], [2 * ns, 2 * ns, 2 * ns], 100 + ratio),
    ],
    bare: { success: ns, failure: Number.NaN, rejection: ns },
    seconds,
  });

  it("states the median and interval over every process's rounds, the bare time from the pooled bare rows", () => {
    const pooled = poolResults([result(1.5, 80, 10), result(2, 100, 11), result(1.6, 90, 12)]);
    const retry = pooled.rows[1]!.timing;
    expect(retry.rounds).toBe(9);
    expect(retry.ratio.median).toBe(1.6);
    expect(retry.ratio).toEqual(medianInterval([1.5, 1.5, 1.5, 2, 2, 2, 1.6, 1.6, 1.6]));
    expect(retry.ns).toBe(180);
    expect(retry.bytesPerCall).toBe(101.6);
    expect(pooled.bare.success).toBe(90);
    expect(pooled.seconds).toBe(33);
    expect(pooled.processes).toBe(3);
  });

  it('refuses processes that measured different cases, and returns a lone result as it is', () => {
    const other = result(1.5, 80, 10);
    const renamed = {
      ...other,
      rows: [other.rows[0]!, { ...other.rows[1]!, timing: { ...other.rows[1]!.timing, id: 'x' } }],
    };
    expect(() => poolResults([result(1.5, 80, 10), renamed])).toThrow(/different cases/);
    expect(poolResults([other])).toEqual({ ...other, processes: 1 });
  });
});
