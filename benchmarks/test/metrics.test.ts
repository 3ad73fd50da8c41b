import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketCounts, computeMetrics, quantile, stableFrom } from '../src/storm/metrics.js';
import { fullScenario, type Scenario } from '../src/storm/scenario.js';
import { OK, OVERLOADED } from '../src/storm/service/model.js';
import type { RunLogs } from '../src/storm/workload.js';

describe('quantile', () => {
  it('returns one of the values, within their range, and grows with q', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const q = quantile(values, lo);
          expect(values).toContain(q);
          expect(q).toBeGreaterThanOrEqual(Math.min(...values));
          expect(q).toBeLessThanOrEqual(Math.max(...values));
          expect(quantile(values, hi)).toBeGreaterThanOrEqual(q);
        },
      ),
    );
  });

  it('uses the nearest rank: p50 of 1..4 is 2, p99 of 1..100 is 99', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2);
    expect(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('bucketCounts', () => {
  it('counts each in-range time exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -500, max: 12_000, noNaN: true })), (times) => {
        const counts = bucketCounts(times, 1_000, 10);
        const inRange = times.filter((t) => t >= 0 && t < 10_000).length;
        expect(counts.reduce((a, b) => a + b, 0)).toBe(inRange);
      }),
    );
  });
});

describe('stableFrom', () => {
  const series = (good: number[], total: number[], emptyIsGood = false) => ({ good, total, emptyIsGood });

  it('finds the first bucket after which every window stays healthy', () => {
    const total = [10, 10, 10, 10, 10, 10, 10, 10];
    const good = [0, 0, 5, 10, 10, 10, 10, 10];
    expect(stableFrom([series(good, total)], 0, 8, 2, 0.95)).toBe(3);
  });

  it('returns end when the last window is unhealthy, and from when all are healthy', () => {
    expect(stableFrom([series([10, 10, 0], [10, 10, 10])], 0, 3, 2, 0.95)).toBe(3);
    expect(stableFrom([series([10, 10, 10], [10, 10, 10])], 0, 3, 2, 0.95)).toBe(0);
  });

  it('with a sustain length, takes the first healthy stretch that lasts it, ignoring a later relapse', () => {
    const total = Array.from({ length: 12 }, () => 10);
    // Healthy 2-3 (too short), 5-9 (long enough), relapse at 10.
    const good = [0, 0, 10, 10, 0, 10, 10, 10, 10, 10, 0, 10];
    expect(stableFrom([series(good, total)], 0, 12, 1, 0.95, 4)).toBe(5);
    expect(stableFrom([series(good, total)], 0, 12, 1, 0.95)).toBe(11);
  });

  it('treats an empty window as healthy only where emptyIsGood says so', () => {
    expect(stableFrom([series([0, 0], [0, 0], true)], 0, 2, 1, 0.95)).toBe(0);
    expect(stableFrom([series([0, 0], [0, 0], false)], 0, 2, 1, 0.95)).toBe(2);
  });
});

describe('computeMetrics', () => {
  const scenario: Scenario = {
    ...fullScenario,
    rate: 1,
    phases: [
      { name: 'healthy', durationMs: 10_000, capacity: 10 },
      { name: 'overload', durationMs: 10_000, capacity: 1 },
      { name: 'recovery', durationMs: 20_000, capacity: 10 },
    ],
  };

  /** One request per second; those issued in [from, to) fail; each failure is retried twice at the service. */
  function logs(failFrom: number, failTo: number): RunLogs {
    const n = 40;
    const issued = Float64Array.from({ length: n }, (_, i) => i * 1000);
    const failed = (t: number) => t >= failFrom && t < failTo;
    const ok = Uint8Array.from(issued, (t) => (failed(t) ? 0 : 1));
    const ended = Float64Array.from(issued, (t) => t + (failed(t) ? 3_000 : 1_000));
    const times: number[] = [];
    const outcomes: number[] = [];
    for (const t of issued) {
      const attempts = failed(t) ? 3 : 1;
      for (let a = 0; a < attempts; a++) {
        times.push(t + a * 100);
        outcomes.push(failed(t) ? OVERLOADED : OK);
      }
    }
    return {
      client: { issued, ended, ok, abandoned: 0, loopDelayP99Ms: 1, loopDelayMaxMs: 2 },
      service: {
        times: Float64Array.from(times),
        outcomes: Uint8Array.from(outcomes),
        unrouted: 0,
        loopDelayMaxMs: 3,
      },
    };
  }

  it('computes amplification, peak, recovery and latency from the logs', () => {
    // Failures from the overload's start until 6 s into the recovery.
    const m = computeMetrics(scenario, logs(10_000, 26_000));
    expect(m.issued).toBe(40);
    expect(m.completed).toBe(24);
    expect(m.failed).toBe(16);
    expect(m.received).toBe(40 + 16 * 2);
    expect(m.amplification).toBeCloseTo(72 / 40);
    expect(m.answered).toEqual({ ok: 24, overloaded: 48, quota: 0 });
    expect(m.peakOverloadRate).toBe(3);
    expect(m.recoveryMs).toBe(6_000);
    expect(m.okP50).toBe(1_000);
    expect(m.p99).toBe(3_000);
    expect(m.serviceRate).toHaveLength(40);
  });

  it('reports a recovery of 0 when nothing failed after capacity returned, and null when it never recovered', () => {
    expect(computeMetrics(scenario, logs(10_000, 20_000)).recoveryMs).toBe(0);
    expect(computeMetrics(scenario, logs(10_000, 40_000)).recoveryMs).toBeNull();
  });
});
