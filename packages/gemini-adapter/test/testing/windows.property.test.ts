import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextPacificMidnight } from '../../src/internal/pacific-day.js';
import { SlidingWindow } from '../../src/testing/sliding-window.js';
import { formatDuration } from '../../src/testing/wire.js';
import { parseDuration } from '../../src/index.js';

const pacificClock = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Los_Angeles',
  hourCycle: 'h23',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

describe('nextPacificMidnight', () => {
  it('is the first 00:00:00 in Los Angeles after now, DST days included', () => {
    // 2020-2035, which covers many DST changes.
    const time = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });
    fc.assert(
      fc.property(time, (now) => {
        const midnight = nextPacificMidnight(now);
        expect(midnight).toBeGreaterThan(now);
        expect(midnight - now).toBeLessThanOrEqual(25 * 3_600_000);
        expect(pacificClock.format(new Date(midnight))).toBe('00:00:00');
        // No midnight is skipped: an hour earlier is still the day before.
        expect(pacificClock.format(new Date(midnight - 3_600_000))).toBe('23:00:00');
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the DST change days of 2026', () => {
    // 2026-03-08 (23 h day) and 2026-11-01 (25 h day).
    expect(nextPacificMidnight(Date.UTC(2026, 2, 8, 12))).toBe(Date.UTC(2026, 2, 9, 7));
    expect(nextPacificMidnight(Date.UTC(2026, 10, 1, 12))).toBe(Date.UTC(2026, 10, 2, 8));
  });
});

describe('SlidingWindow', () => {
  const events = fc.array(
    fc.record({ gap: fc.integer({ min: 0, max: 3000 }), weight: fc.integer({ min: 1, max: 5 }) }),
    {
      maxLength: 60,
    },
  );

  it('used() is the weight recorded in the last span, and waitFor() is the earliest time room frees', () => {
    fc.assert(
      fc.property(
        events,
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 5 }),
        (list, limit, room) => {
          const span = 1000;
          const window = new SlidingWindow(span);
          const log: { t: number; w: number }[] = [];
          let now = 0;
          for (const { gap, weight } of list) {
            now += gap;
            window.record(now, weight);
            log.push({ t: now, w: weight });
          }
          const usedAt = (t: number): number =>
            log.filter((e) => e.t > t - span && e.t <= t).reduce((sum, e) => sum + e.w, 0);
          expect(window.used(now)).toBe(usedAt(now));
          if (room > limit) return;
          const wait = window.waitFor(now, limit, room);
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(usedAt(now + wait) + room).toBeLessThanOrEqual(limit);
          if (wait > 0) expect(usedAt(now + wait - 1) + room).toBeGreaterThan(limit);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('formatDuration', () => {
  it('writes protobuf Durations that parse back to the same millisecond', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
        expect(formatDuration(ms)).toMatch(/^\d+(\.\d{1,3})?s$/);
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
