/**
 * The testing helpers at their edges: VirtualClock's `nextDue`, time that never goes back, timers due at the
 * instant reached, `runAll`'s bound on a timer that reschedules itself forever; seededRandom is mulberry32
 * (reference values), in [0, 1), seeded by the seed's 32-bit unsigned value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom, VirtualClock } from '../src/testing.js';

describe('VirtualClock', () => {
  it('nextDue: the due time of the earliest timer, undefined when none', async () => {
    const clock = new VirtualClock(100);
    expect(clock.nextDue).toBeUndefined();
    const late = clock.setTimer(() => {}, 50);
    clock.setTimer(() => {}, 20);
    expect(clock.nextDue).toBe(120);
    await clock.advance(20);
    expect(clock.nextDue).toBe(150);
    clock.clearTimer(late);
    expect(clock.nextDue).toBeUndefined();
  });

  it('advanceTo a time already past leaves the time where it was; the instant reached fires its timers', async () => {
    const clock = new VirtualClock(1_000);
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.now()), 0);
    await clock.advanceTo(500);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(1_000);
    await clock.advanceTo(1_000);
    expect(fired).toEqual([1_000]);
  });

  it('a timer fires at its own due time, even when advancing far past it', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.now()), 30);
    clock.setTimer(() => fired.push(clock.now()), 70);
    await clock.advance(1_000);
    expect(fired).toEqual([30, 70]);
    expect(clock.now()).toBe(1_000);
  });

  it('runAll moves time to each due time and leaves Infinity timers alone', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.now()), 40);
    clock.setTimer(() => fired.push(-1), Number.POSITIVE_INFINITY);
    clock.setTimer(() => fired.push(clock.now()), 10);
    await clock.runAll();
    expect(fired).toEqual([10, 40]);
    expect(clock.now()).toBe(40);
    expect(clock.pendingTimers).toBe(1);
  });

  it('runAll stops a timer that reschedules itself forever, saying how many fired', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    const again = (): void => {
      fired++;
      clock.setTimer(again, 1);
    };
    clock.setTimer(again, 1);
    await expect(clock.runAll(50)).rejects.toThrow(
      'VirtualClock.runAll: more than 50 timers fired; is something rescheduling forever?',
    );
    expect(fired).toBe(50);
  });

  it('runAll counts timers due at the same instant as one step', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    for (let i = 0; i < 10; i++) clock.setTimer(() => fired++, 5);
    clock.setTimer(() => fired++, 0);
    await clock.runAll(2);
    expect(fired).toBe(11);
  });
});

describe('seededRandom', () => {
  it('is mulberry32: the reference values for seeds 0 and 42', () => {
    const zero = seededRandom(0);
    expect([zero(), zero()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
    const answer = seededRandom(42);
    expect([answer(), answer(), answer()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099,
    ]);
  });

  it('a seed counts by its unsigned 32-bit value', () => {
    const a = seededRandom(-1);
    const b = seededRandom(2 ** 32 - 1);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it('every value lies in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const random = seededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const value = random();
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(1);
        }
      }),
    );
  });
});
