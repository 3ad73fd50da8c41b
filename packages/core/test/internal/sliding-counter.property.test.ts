/**
 * SlidingCounter, the one sliding-window counter (retry budget, throttle, breaker time window, the fake Gemini
 * server, the benchmarks), against a reference that keeps every event: counts within the window, expiry of old
 * slices, a counter that never moves back, and memory that does not grow with the traffic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingCounter } from '../../src/internal/sliding-counter.js';
import { SlidingCounter as Exported } from '../../src/testing.js';

interface Event {
  readonly slice: number;
  readonly channel: number;
  readonly amount: number;
}

/** A step: move forward (or back) by `gap` slices, then add `amount` to `channel` in the newest slice. */
const steps = fc.array(
  fc.record({
    gap: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -3, max: 40 })),
    channel: fc.integer({ min: 0, max: 2 }),
    amount: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 9 })),
  }),
  { maxLength: 80 },
);

function run(
  slices: number,
  start: number,
  list: readonly { gap: number; channel: number; amount: number }[],
) {
  const counter = new SlidingCounter(slices, 3, start);
  const events: Event[] = [];
  let target = start;
  for (const { gap, channel, amount } of list) {
    target += gap;
    counter.advance(target);
    counter.add(channel, amount);
    // Where the amount lands: the newest slice, which an earlier target never moves back.
    events.push({ slice: counter.newest, channel, amount });
  }
  return { counter, events };
}

/** The reference: the sum of `channel` over the slices (newest - span, newest]. */
function sum(events: readonly Event[], newest: number, span: number, channel: number): number {
  return events
    .filter((e) => e.channel === channel && e.slice > newest - span && e.slice <= newest)
    .reduce((total, e) => total + e.amount, 0);
}

describe('SlidingCounter', () => {
  it('total() is what was added in the `slices` newest slices, touching() adds the slice before them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: -50, max: 50 }),
        steps,
        (n, start, list) => {
          const { counter, events } = run(n, start, list);
          const newest = counter.newest;
          for (let channel = 0; channel < 3; channel++) {
            expect(counter.total(channel)).toBe(sum(events, newest, n, channel));
            expect(counter.touching(channel)).toBe(sum(events, newest, n + 1, channel));
            for (let i = newest - n - 2; i <= newest + 1; i++) {
              const inWindow = i > newest - n && i <= newest;
              const exact = events
                .filter((e) => e.channel === channel && e.slice === i)
                .reduce((t, e) => t + e.amount, 0);
              expect(counter.at(i, channel)).toBe(inWindow ? exact : 0);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('old slices expire as the window moves, whole slices at a time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        steps,
        fc.integer({ min: 0, max: 30 }),
        (n, list, later) => {
          const { counter, events } = run(n, 0, list);
          const newest = counter.newest + later;
          counter.advance(newest);
          for (let channel = 0; channel < 3; channel++) {
            expect(counter.total(channel)).toBe(sum(events, newest, n, channel));
            expect(counter.touching(channel)).toBe(sum(events, newest, n + 1, channel));
          }
          counter.advance(newest + n + 1);
          for (let channel = 0; channel < 3; channel++) {
            expect([counter.total(channel), counter.touching(channel)]).toEqual([0, 0]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never moves back: an earlier slice leaves the window where it is', () => {
    const counter = new SlidingCounter(4, 1, 10);
    counter.add(0, 2);
    counter.advance(7);
    counter.advance(Number.NaN);
    expect(counter.newest).toBe(10);
    counter.add(0, 3);
    expect(counter.at(10)).toBe(5);
    expect(counter.total()).toBe(5);
  });

  it('firstNewestAtMost: the first newest slice at which the total is down to the target', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        steps,
        fc.integer({ min: -2, max: 40 }),
        (n, list, target) => {
          const { counter } = run(n, 0, list);
          const at = counter.firstNewestAtMost(target, 0);
          const totalAt = (slice: number): number => {
            const copy = run(n, 0, list).counter;
            copy.advance(slice);
            return copy.total(0);
          };
          if (target < 0) {
            expect(at).toBeUndefined();
            return;
          }
          expect(at).toBeDefined();
          expect(totalAt(at!)).toBeLessThanOrEqual(target);
          if (at! > counter.newest) expect(totalAt(at! - 1)).toBeGreaterThan(target);
          else expect(at).toBe(counter.newest);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('addAt() counts into a live slice, the newest for a later one, and drops an expired one', () => {
    const counter = new SlidingCounter(3, 2, 10);
    expect(counter.addAt(9, 1, 4)).toBe(true);
    expect(counter.addAt(12, 1, 1)).toBe(true);
    expect(counter.addAt(7, 1, 100)).toBe(false);
    expect(counter.addAt(8, 0, 5)).toBe(true);
    expect([counter.at(9, 1), counter.at(10, 1), counter.at(8, 0)]).toEqual([4, 1, 5]);
    expect([counter.total(0), counter.total(1)]).toEqual([5, 5]);
    counter.clear();
    expect([counter.total(0), counter.touching(1), counter.newest]).toEqual([0, 0, 10]);
  });

  it('keeps fixed memory whatever the traffic and however far time jumps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), steps, (n, list) => {
        const { counter } = run(n, 0, [...list, ...list, { gap: 1e9, channel: 0, amount: 1 }]);
        const inside = counter as unknown as { counts: Float64Array; totals: Float64Array };
        expect(inside.counts.length).toBe((n + 1) * 3);
        expect(inside.totals.length).toBe(3);
      }),
    );
  });

  it('is the class @bulwark/core/testing exports for fakes and load models', () => {
    expect(Exported).toBe(SlidingCounter);
  });
});
