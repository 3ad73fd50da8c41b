/**
 * realClock's timers, driven by @sinonjs/fake-timers: a timer never fires before the time it promised (a host
 * timer that fires early, or a wall clock set back, re-arms it for the rest), a wait longer than the host's
 * 2^31-1 ms limit is chained rather than cut short, NaN and negative delays mean 0, and a cleared timer stays
 * silent, even one cleared while it was re-arming.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../src/index.js';

let fake: ReturnType<typeof FakeTimers.install> | undefined;
afterEach(() => {
  fake?.uninstall();
  fake = undefined;
});

const MAX_TIMER_MS = 2_147_483_647;

describe('realClock (under fake timers)', () => {
  it('fires when the time has come, not before', () => {
    fake = FakeTimers.install({ now: 1_000 });
    const fired: number[] = [];
    realClock.setTimer(() => fired.push(Date.now()), 100);
    fake.tick(99);
    expect(fired).toEqual([]);
    fake.tick(1);
    expect(fired).toEqual([1_100]);
    expect(fake.countTimers()).toBe(0);
  });

  it('a host timer that fires while the wall clock says it is early is re-armed for the rest', () => {
    fake = FakeTimers.install({ now: 10_000 });
    const fired: number[] = [];
    realClock.setTimer(() => fired.push(Date.now()), 100);
    // The wall clock steps back 40 ms: the host timer still fires 100 ms after it was armed, 40 ms early.
    fake.setSystemTime(Date.now() - 40);
    fake.tick(100);
    expect(fired).toEqual([]);
    expect(fake.countTimers()).toBe(1);
    fake.tick(39);
    expect(fired).toEqual([]);
    fake.tick(1);
    expect(fired).toEqual([10_100]);
    expect(fake.countTimers()).toBe(0);
  });

  it('a timer cleared while re-armed stays silent', () => {
    fake = FakeTimers.install({ now: 10_000 });
    let fired = false;
    const handle = realClock.setTimer(() => {
      fired = true;
    }, 100);
    fake.setSystemTime(Date.now() - 40);
    fake.tick(100);
    realClock.clearTimer(handle);
    fake.tick(1_000);
    expect(fired).toBe(false);
    expect(fake.countTimers()).toBe(0);
  });

  it('a wait longer than the host limit is chained and fires on time', () => {
    fake = FakeTimers.install({ now: 0 });
    const fired: number[] = [];
    const delay = MAX_TIMER_MS + 5_000;
    realClock.setTimer(() => fired.push(Date.now()), delay);
    fake.tick(MAX_TIMER_MS);
    expect(fired).toEqual([]);
    fake.tick(4_999);
    expect(fired).toEqual([]);
    fake.tick(1);
    expect(fired).toEqual([delay]);
  });

  it('NaN and negative delays fire at once (on the next turn), Infinity never', () => {
    fake = FakeTimers.install({ now: 0 });
    const fired: string[] = [];
    realClock.setTimer(() => fired.push('nan'), Number.NaN);
    realClock.setTimer(() => fired.push('negative'), -50);
    const never = realClock.setTimer(() => fired.push('never'), Number.POSITIVE_INFINITY);
    expect(fake.countTimers()).toBe(2);
    fake.tick(0);
    expect(fired).toEqual(['nan', 'negative']);
    realClock.clearTimer(never);
    realClock.refTimer?.(never, true);
    fake.tick(MAX_TIMER_MS);
    expect(fired).toEqual(['nan', 'negative']);
  });

  it('clearTimer cancels; clearing twice, a foreign handle or undefined is harmless', () => {
    fake = FakeTimers.install({ now: 0 });
    let fired = false;
    const handle = realClock.setTimer(() => {
      fired = true;
    }, 10);
    realClock.clearTimer(handle);
    realClock.clearTimer(handle);
    realClock.clearTimer(undefined);
    realClock.refTimer?.(undefined, false);
    fake.tick(100);
    expect(fired).toBe(false);
  });
});
