/**
 * A wall clock that steps back (NTP) while deadlines are pending, with `resolution: 0` (each call a deadline of its
 * own): a call started after the step gets a deadline earlier than those before it, and must still time out when
 * its own time is up, not when an earlier call's timer happens to fire. Deadlines are in the clock's terms: the
 * calls from before the step wait out the step too.
 */
import { describe, expect, it } from 'vitest';
import { type Clock, TimeoutError, timeout } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { stateOf } from '../support/helpers.js';

/** A clock reading `offset` ms off a virtual one, whose timers run on the virtual one's time. */
function steppingClock(virtual: VirtualClock): Clock & { offset: number } {
  return {
    offset: 0,
    now() {
      return virtual.now() + this.offset;
    },
    setTimer: (fn, ms, options) => virtual.setTimer(fn, ms, options),
    clearTimer: (handle) => virtual.clearTimer(handle),
  };
}

const hang = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('timeout, resolution 0, on a clock that steps back', () => {
  it('a call started after the step times out on its own time, before the calls started before it', async () => {
    const virtual = new VirtualClock(1_000);
    const clock = steppingClock(virtual);
    const policy = timeout(100, { resolution: 0, clock });
    const a = policy.execute(({ signal }) => hang(signal));
    a.catch(() => {});
    await virtual.advance(50);
    clock.offset = -500; // the clock now reads 550: a's deadline (1100) is 550 ms away in its terms
    const b = policy.execute(({ signal }) => hang(signal));
    b.catch(() => {});
    await virtual.advance(50); // a's first timer fires here (reading 600): nothing is due
    expect(await stateOf(a)).toBe('pending');
    expect(await stateOf(b)).toBe('pending');
    await virtual.advance(50); // reading 650: b's 100 ms are up
    expect(await stateOf(b)).toBe('rejected');
    await expect(b).rejects.toBeInstanceOf(TimeoutError);
    expect(await stateOf(a)).toBe('pending');
    await virtual.advance(449);
    expect(await stateOf(a)).toBe('pending');
    await virtual.advance(1); // reading 1100
    await expect(a).rejects.toBeInstanceOf(TimeoutError);
    expect(virtual.pendingTimers).toBe(0);
  });

  it('a call whose deadline falls between two pending ones times out after the earlier and before the later', async () => {
    const virtual = new VirtualClock(1_000);
    const clock = steppingClock(virtual);
    const policy = timeout(100, { resolution: 0, clock });
    const a = policy.execute(({ signal }) => hang(signal)); // due 1100
    a.catch(() => {});
    clock.offset = -500;
    const x = policy.execute(({ signal }) => hang(signal)); // reading 500: due 600, the new first
    x.catch(() => {});
    await virtual.advance(20);
    const b = policy.execute(({ signal }) => hang(signal)); // reading 520: due 620, between x and a
    b.catch(() => {});
    await virtual.advance(79);
    expect([await stateOf(x), await stateOf(b), await stateOf(a)]).toEqual(['pending', 'pending', 'pending']);
    await virtual.advance(1); // reading 600
    expect([await stateOf(x), await stateOf(b), await stateOf(a)]).toEqual([
      'rejected',
      'pending',
      'pending',
    ]);
    await virtual.advance(20); // reading 620
    expect([await stateOf(b), await stateOf(a)]).toEqual(['rejected', 'pending']);
    await virtual.advance(480); // reading 1100
    expect(await stateOf(a)).toBe('rejected');
    for (const call of [a, x, b]) await expect(call).rejects.toBeInstanceOf(TimeoutError);
    expect(virtual.pendingTimers).toBe(0);
  });

  it('a call started after the timer was re-armed in the stepped-back terms still times out on its own time', async () => {
    const virtual = new VirtualClock(1_000);
    const clock = steppingClock(virtual);
    const policy = timeout(100, { resolution: 0, clock });
    const a = policy.execute(({ signal }) => hang(signal)); // due 1100
    a.catch(() => {});
    await virtual.advance(50);
    clock.offset = -500;
    await virtual.advance(60); // a's timer fired at reading 600, found nothing due, and waits 500 ms more
    const b = policy.execute(({ signal }) => hang(signal)); // reading 610: due 710, before a's timer
    b.catch(() => {});
    expect(virtual.pendingTimers).toBe(1); // a's timer moved to b's deadline, not a second one beside it
    await virtual.advance(99);
    expect(await stateOf(b)).toBe('pending');
    await virtual.advance(1); // reading 710
    await expect(b).rejects.toBeInstanceOf(TimeoutError);
    expect(await stateOf(a)).toBe('pending');
    await virtual.advance(390); // reading 1100
    await expect(a).rejects.toBeInstanceOf(TimeoutError);
    expect(virtual.pendingTimers).toBe(0);
  });
});
