/**
 * VirtualClock at the limits of what it accepts: clearing what is not one of its timers (undefined, another
 * clock's handle) leaves its timers alone, as realClock does; a timer of Infinity ms never fires, even when time is
 * moved to Infinity; `runAll(maxTimers)` allows exactly `maxTimers` due times, the instant already reached counting
 * as the first.
 */
import { describe, expect, it } from 'vitest';
import { realClock } from '../src/index.js';
import { VirtualClock } from '../src/testing.js';

describe('VirtualClock limits', () => {
  it('clearTimer of undefined, or of another clock’s timer, is harmless and clears nothing', async () => {
    const clock = new VirtualClock();
    const other = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(() => fired.push('own'), 10);
    const foreign = other.setTimer(() => fired.push('foreign'), 10);
    const real = realClock.setTimer(() => {}, 60_000, { unref: true });
    try {
      expect(() => {
        clock.clearTimer(undefined);
        clock.clearTimer(null);
        clock.clearTimer(foreign);
        clock.clearTimer(real);
      }).not.toThrow();
    } finally {
      realClock.clearTimer(real);
    }
    expect(clock.pendingTimers).toBe(1);
    expect(other.pendingTimers).toBe(1);
    await clock.advance(10);
    await other.advance(10);
    expect(fired).toEqual(['own', 'foreign']);
  });

  it('a timer of Infinity ms never fires, even when time moves to Infinity; every finite one does', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(() => fired.push('never'), Number.POSITIVE_INFINITY);
    clock.setTimer(() => fired.push('late'), Number.MAX_SAFE_INTEGER);
    await clock.advanceTo(Number.POSITIVE_INFINITY);
    expect(fired).toEqual(['late']);
    expect(clock.pendingTimers).toBe(1);
  });

  it('runAll(n) allows n due times, the instant already reached being the first', async () => {
    const setUp = () => {
      const clock = new VirtualClock();
      const fired: number[] = [];
      clock.setTimer(() => fired.push(clock.now()), 0);
      clock.setTimer(() => fired.push(clock.now()), 0);
      clock.setTimer(() => fired.push(clock.now()), 5);
      return { clock, fired };
    };
    const tight = setUp();
    await expect(tight.clock.runAll(1)).rejects.toThrow('more than 1 timers fired');
    expect(tight.fired).toEqual([0, 0]);
    const enough = setUp();
    await enough.clock.runAll(2);
    expect(enough.fired).toEqual([0, 0, 5]);
  });
});
