/**
 * Which of realClock's timers hold the Node process open, read from Node itself
 * (`process.getActiveResourcesInfo()` lists a timer as 'Timeout' only while it keeps the process alive): a timer
 * that guards work does, one set with `unref: true` does not, and `refTimer` switches an armed timer either way
 * and back. No timer here is waited for: each is checked the moment it is armed or switched, then cleared. On a
 * host whose timers are plain numbers (browsers), and for a timer that arms nothing (Infinity), switching is a
 * no-op, not a crash.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { realClock, sleep, type TimerHandle } from '../src/index.js';

/** The timers now holding this process open. */
const holding = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

const noop = (): void => {};
const LONG = 60_000;

let armed: TimerHandle[] = [];
/** A realClock timer of LONG ms, cleared after the test. */
function arm(options?: { unref?: boolean }): TimerHandle {
  const handle = realClock.setTimer(noop, LONG, options);
  armed.push(handle);
  return handle;
}

afterEach(() => {
  for (const handle of armed) realClock.clearTimer(handle);
  armed = [];
});

describe('realClock: which timers keep the process alive', () => {
  it('a timer holds the process until it is cleared; unref: true never does, unref: false does', () => {
    const before = holding();
    const guard = arm();
    expect(holding()).toBe(before + 1);
    arm({ unref: true });
    expect(holding()).toBe(before + 1);
    const explicit = arm({ unref: false });
    expect(holding()).toBe(before + 2);
    realClock.clearTimer(guard);
    realClock.clearTimer(explicit);
    expect(holding()).toBe(before);
  });

  it('refTimer lets a guarding timer go and takes it back; asking twice changes nothing', () => {
    const before = holding();
    const guard = arm();
    realClock.refTimer!(guard, false);
    expect(holding()).toBe(before);
    realClock.refTimer!(guard, false);
    expect(holding()).toBe(before);
    realClock.refTimer!(guard, true);
    expect(holding()).toBe(before + 1);
    realClock.refTimer!(guard, true);
    expect(holding()).toBe(before + 1);
  });

  it('refTimer makes a background timer hold the process, and lets it go again', () => {
    const before = holding();
    const background = arm({ unref: true });
    realClock.refTimer!(background, true);
    expect(holding()).toBe(before + 1);
    realClock.refTimer!(background, false);
    expect(holding()).toBe(before);
  });

  it('a sleep holds the process while it waits, and nothing once its signal aborted', async () => {
    const before = holding();
    const controller = new AbortController();
    const wait = sleep(LONG, controller.signal);
    expect(holding()).toBe(before + 1);
    controller.abort(new Error('stop'));
    await expect(wait).rejects.toThrow('stop');
    expect(holding()).toBe(before);
  });

  it('switching a timer that arms nothing (Infinity ms) is harmless and holds nothing', () => {
    const before = holding();
    const infinite = realClock.setTimer(noop, Number.POSITIVE_INFINITY);
    expect(() => {
      realClock.refTimer!(infinite, false);
      realClock.refTimer!(infinite, true);
    }).not.toThrow();
    expect(holding()).toBe(before);
  });

  it('on a host whose timers are plain numbers (browsers), unref and ref are skipped', () => {
    const pending = new Map<number, () => void>();
    let last = 0;
    vi.stubGlobal('setTimeout', (callback: () => void) => {
      pending.set(++last, callback);
      return last;
    });
    vi.stubGlobal('clearTimeout', (id: number) => {
      pending.delete(id);
    });
    try {
      const background = realClock.setTimer(noop, 10, { unref: true });
      const guard = realClock.setTimer(noop, 10);
      realClock.refTimer!(background, true);
      realClock.refTimer!(guard, false);
      expect(pending.size).toBe(2);
      realClock.clearTimer(background);
      realClock.clearTimer(guard);
      expect(pending.size).toBe(0);
    } finally {
      // Restored before the test ends: the test runner clears its own timers through these globals.
      vi.unstubAllGlobals();
    }
  });
});
