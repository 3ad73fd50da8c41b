import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingCount } from '../src/storm/service/sliding-count.js';

/** Arrivals at non-decreasing times with positive amounts. */
const arrivals = fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 5 })), {
  maxLength: 60,
});

function build(steps: readonly (readonly [number, number])[]) {
  const window = new SlidingCount(1_000, 10);
  const events: { time: number; amount: number }[] = [];
  let time = 0;
  for (const [gap, amount] of steps) {
    time += gap;
    window.add(time, amount);
    events.push({ time, amount });
  }
  return { window, events, time };
}

/** What the window should hold at `now`: everything in the current 100 ms slice and the nine before it. */
function expected(events: readonly { time: number; amount: number }[], now: number): number {
  const head = Math.floor(now / 100);
  return events.filter((e) => Math.floor(e.time / 100) > head - 10).reduce((sum, e) => sum + e.amount, 0);
}

describe('SlidingCount', () => {
  it('holds exactly the amounts of the last `slices` slices', () => {
    fc.assert(
      fc.property(arrivals, fc.integer({ min: 0, max: 3_000 }), (steps, later) => {
        const { window, events, time } = build(steps);
        expect(window.total(time)).toBe(expected(events, time));
        expect(window.total(time + later)).toBe(expected(events, time + later));
      }),
    );
  });

  it('counts everything from the last windowMs minus one slice, and nothing older than windowMs', () => {
    fc.assert(
      fc.property(arrivals, (steps) => {
        const { window, events, time } = build(steps);
        const recent = events.filter((e) => e.time >= time - 900).reduce((s, e) => s + e.amount, 0);
        const bound = events.filter((e) => e.time > time - 1_000).reduce((s, e) => s + e.amount, 0);
        const total = window.total(time);
        expect(total).toBeGreaterThanOrEqual(recent);
        expect(total).toBeLessThanOrEqual(bound);
      }),
    );
  });

  it('waitUntilAtMost returns the first moment the total is at most the target', () => {
    fc.assert(
      fc.property(arrivals, fc.integer({ min: 0, max: 50 }), (steps, target) => {
        const { window, time } = build(steps);
        const wait = window.waitUntilAtMost(time, target);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThanOrEqual(1_000);
        // Reading a copy's total later must not disturb the original, so probe on a rebuilt window.
        const probe = build(steps).window;
        expect(probe.total(time + wait)).toBeLessThanOrEqual(target);
        if (wait > 0) expect(build(steps).window.total(time + wait - 1)).toBeGreaterThan(target);
      }),
    );
  });
});
