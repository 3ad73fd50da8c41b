import { VirtualClock } from '@bulwark/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OK, ServiceModel } from '../src/storm/service/model.js';
import { fullScenario, type Scenario } from '../src/storm/scenario.js';

const scenario: Scenario = {
  ...fullScenario,
  phases: [
    { name: 'healthy', durationMs: 10_000, capacity: 10 },
    { name: 'overload', durationMs: 10_000, capacity: 2 },
    { name: 'recovery', durationMs: 10_000, capacity: 10 },
  ],
  capacityWindowMs: 1_000,
  quotaPerMinute: 100_000,
};

/** Plays arrivals (gaps in ms) through a fresh model; returns each verdict with its time. */
async function play(s: Scenario, gaps: readonly number[]) {
  const clock = new VirtualClock(5_000);
  const model = new ServiceModel(s, 5_000, clock);
  const out: { t: number; kind: string; retryDelayMs?: number }[] = [];
  for (const gap of gaps) {
    await clock.advance(gap);
    const verdict = model.decide();
    out.push({ t: model.elapsed(), ...verdict });
  }
  return out;
}

describe('ServiceModel', () => {
  // The gate counts in 20 slices, so its window reaches back at least 950 of its 1000 ms.
  it('never serves more than capacity x window in any 950 ms, whatever the arrivals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 300 }), async (gaps) => {
        const served = (await play(scenario, gaps)).filter((v) => v.kind === 'ok');
        for (const first of served) {
          const inWindow = served.filter((v) => v.t >= first.t && v.t < first.t + 950).length;
          expect(inWindow).toBeLessThanOrEqual(10);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('serves every request while under capacity and sheds the excess with 503s during the overload', async () => {
    // 5 req/s: under the healthy capacity (10/s), over the overload capacity (2/s).
    const verdicts = await play(
      scenario,
      Array.from({ length: 150 }, () => 200),
    );
    const phase = (from: number, to: number) => verdicts.filter((v) => v.t >= from && v.t < to);
    expect(phase(0, 10_000).every((v) => v.kind === 'ok')).toBe(true);
    const overload = phase(11_000, 20_000);
    const served = overload.filter((v) => v.kind === 'ok').length;
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(2 * 10);
    expect(overload.some((v) => v.kind === 'overloaded')).toBe(true);
    expect(phase(21_000, 30_000).every((v) => v.kind === 'ok')).toBe(true);
  });

  it('answers 429 above the per-minute quota with a RetryInfo delay after which a request passes', async () => {
    const tight: Scenario = { ...scenario, quotaPerMinute: 5 };
    const clock = new VirtualClock(0);
    const model = new ServiceModel(tight, 0, clock);
    const kinds = Array.from({ length: 6 }, () => model.decide().kind);
    expect(kinds).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'quota']);
    const refusal = model.decide();
    expect(refusal.kind).toBe('quota');
    const delay = refusal.kind === 'quota' ? refusal.retryDelayMs : Number.NaN;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(60_000);
    await clock.advance(delay - 1);
    expect(model.decide().kind).toBe('quota');
    await clock.advance(1);
    expect(model.decide().kind).toBe('ok');
  });

  it('counts 503s against the quota, as Gemini does, but not 429s', () => {
    const s: Scenario = {
      ...scenario,
      phases: [
        { name: 'healthy', durationMs: 1, capacity: 1 },
        { name: 'overload', durationMs: 120_000, capacity: 1 },
        { name: 'recovery', durationMs: 1, capacity: 1 },
      ],
      quotaPerMinute: 3,
    };
    const clock = new VirtualClock(0);
    const model = new ServiceModel(s, 0, clock);
    const codes = Array.from({ length: 5 }, () => model.decide().kind);
    expect(codes).toEqual(['ok', 'overloaded', 'overloaded', 'quota', 'quota']);
    expect(OK).toBe(0);
  });
});
