/**
 * The RPD limit as sliding windows taking turns per Pacific day admits exactly what a per-day counter reset at
 * midnight Pacific admits, for any sequence of requests (DST change days included), in one store or shared by two
 * limiters (two processes).
 */
import { rateLimit } from '@bulwark/core';
import { MemoryRateLimitStore } from '@bulwark/core/store';
import { VirtualClock } from '@bulwark/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelLimits, PacificDays } from '../../src/adapter/model-limits.js';
import { nextPacificMidnight } from '../../src/internal/pacific-day.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Around the spring-forward and fall-back days of 2026 in Los Angeles, and an ordinary week. */
const STARTS = [Date.UTC(2026, 2, 5), Date.UTC(2026, 9, 29), Date.UTC(2026, 5, 10)];

describe('requests per day as windows taking turns', () => {
  it('admit what a counter reset at midnight Pacific admits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...STARTS),
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.record({
            gap: fc.oneof(
              fc.integer({ min: 0, max: 10 * MINUTE }),
              fc.integer({ min: 0, max: 30 * HOUR }),
              // From late one day to early in the day that takes the same window again.
              fc.integer({ min: 46 * HOUR, max: 50 * HOUR }),
            ),
            limiter: fc.integer({ min: 0, max: 1 }),
          }),
          { maxLength: 80 },
        ),
        async (start, rpd, requests) => {
          const clock = new VirtualClock(start);
          const store = new MemoryRateLimitStore();
          const limits = modelLimits({ rpd }, true);
          // Two limiters on one store and key: two processes of one project.
          const limiters = [0, 1].map(() =>
            rateLimit({ limits, mode: 'reject', clock, store, key: 'gemini:p:m' }),
          );
          const days = [new PacificDays(), new PacificDays()];
          const perDay = new Map<number, number>();
          for (const { gap, limiter } of requests) {
            await clock.advance(gap);
            const now = clock.now();
            const day = nextPacificMidnight(now);
            const used = perDay.get(day) ?? 0;
            const cost = { calls: 1, tokens: 0, [days[limiter]!.unitAt(now)]: 1 };
            const admitted = await limiters[limiter]!.execute(() => true, { cost }).catch(() => false);
            expect(admitted).toBe(used < rpd);
            if (admitted) perDay.set(day, used + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the day's unit changes exactly at midnight Pacific, and consecutive days take different windows", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }), (now) => {
        const days = new PacificDays();
        const midnight = nextPacificMidnight(now);
        const today = days.unitAt(now);
        expect(days.unitAt(midnight - 1)).toBe(today);
        const tomorrow = days.unitAt(midnight);
        const after = days.unitAt(nextPacificMidnight(midnight));
        expect(new Set([today, tomorrow, after]).size).toBe(3);
        // A clock that goes back is looked up again.
        expect(days.unitAt(now)).toBe(today);
      }),
      { numRuns: 300 },
    );
  });
});
