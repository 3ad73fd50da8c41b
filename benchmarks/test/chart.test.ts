import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { niceCeiling, stormChart } from '../src/storm/chart.js';
import { durationOf, fullScenario } from '../src/storm/scenario.js';

describe('niceCeiling', () => {
  it('is a 1-2-5 step at or above the value, and less than 2.5 times it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e9, noNaN: true }), (value) => {
        const ceiling = niceCeiling(value);
        expect(ceiling).toBeGreaterThanOrEqual(value);
        expect(ceiling).toBeLessThanOrEqual(value * 2.5 + 1e-9);
        const mantissa = ceiling / 10 ** Math.floor(Math.log10(ceiling) + 1e-12);
        expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
      }),
    );
  });
});

describe('stormChart', () => {
  const buckets = durationOf(fullScenario) / fullScenario.bucketMs;
  const series = [
    { label: 'calm <client>', values: Array.from({ length: buckets }, () => 25) },
    { label: 'storm & co', values: Array.from({ length: buckets }, (_, i) => (i % 7) * 20) },
  ];
  const svg = stormChart(fullScenario, series);

  it('draws one line per strategy with a point per bucket, the phases and a legend', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const lines = [...svg.matchAll(/<polyline points="([^"]*)"[^>]*stroke-width="1.6"/g)];
    expect(lines).toHaveLength(2);
    for (const [, points] of lines) expect(points!.split(' ')).toHaveLength(buckets);
    for (const phase of ['healthy', 'overload', 'recovery']) expect(svg).toContain(`>${phase}</text>`);
  });

  it('escapes labels and keeps every point inside the plot', () => {
    expect(svg).toContain('calm &#60;client&#62;');
    expect(svg).toContain('storm &#38; co');
    expect(svg).not.toContain('NaN');
    for (const [, x, y] of svg.matchAll(/(\d+\.\d),(\d+\.\d)/g)) {
      expect(Number(x)).toBeGreaterThanOrEqual(60);
      expect(Number(x)).toBeLessThanOrEqual(750);
      expect(Number(y)).toBeGreaterThanOrEqual(36);
      expect(Number(y)).toBeLessThanOrEqual(374);
    }
  });
});
