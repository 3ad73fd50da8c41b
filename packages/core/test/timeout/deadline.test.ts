/**
 * deadlineSignal(): a signal that aborts with a TimeoutError at its deadline, carries that deadline, and follows
 * a parent. A long-lived parent must not pay per child: one listener on it however many children follow it, and a
 * child the caller dropped is collectable before its deadline.
 */
import { describe, expect, it } from 'vitest';
import { deadlineOf, deadlineSignal, InvalidOptionError, retry, TimeoutError } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { collectUntil } from '../support/gc.js';
import { abortListeners } from '../support/helpers.js';

/** Runs `n` executions, each with a signal from `make`; returns weak references to the signals. */
async function executeEach(n: number, make: () => AbortSignal): Promise<WeakRef<AbortSignal>[]> {
  const policy = retry();
  const refs: WeakRef<AbortSignal>[] = [];
  for (let i = 0; i < n; i++) {
    const signal = make();
    await policy.execute(() => i, { signal });
    refs.push(new WeakRef(signal));
  }
  return refs;
}

describe('deadlineSignal', () => {
  it('aborts with a TimeoutError at its deadline, which it carries', async () => {
    const clock = new VirtualClock(1_000);
    const signal = deadlineSignal(500, { clock });
    expect(deadlineOf(signal)).toBe(1_500);
    await clock.advance(499);
    expect(signal.aborted).toBe(false);
    await clock.advance(1);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
  });

  it('carries the earlier of its own and its parent deadline, and follows its parent', async () => {
    const clock = new VirtualClock(0);
    const parent = deadlineSignal(300, { clock });
    const child = deadlineSignal(1_000, { clock, signal: parent });
    expect(deadlineOf(child)).toBe(300);
    const reasons: unknown[] = [];
    child.addEventListener('abort', () => reasons.push(child.reason));
    await clock.advance(300);
    expect(child.aborted).toBe(true);
    expect(reasons).toEqual([parent.reason]);
    expect(parent.reason).toBeInstanceOf(TimeoutError);
  });

  it('is aborted at once when its parent already is', () => {
    const parent = new AbortController();
    parent.abort('gone');
    const child = deadlineSignal(1_000, { signal: parent.signal });
    expect(child.aborted).toBe(true);
    expect(child.reason).toBe('gone');
    expect(abortListeners(parent.signal)).toBe(0);
  });

  it('rejects a bad duration', () => {
    expect(() => deadlineSignal(Number.NaN)).toThrow(InvalidOptionError);
    expect(() => deadlineSignal(-1)).toThrow(InvalidOptionError);
  });

  it('a parent aborting aborts every live child with its reason and keeps no listener', async () => {
    const clock = new VirtualClock(0);
    const parent = new AbortController();
    const children = Array.from({ length: 100 }, () =>
      deadlineSignal(1_000, { clock, signal: parent.signal }),
    );
    expect(abortListeners(parent.signal)).toBe(1);
    parent.abort('stop');
    expect(children.every((c) => c.aborted && c.reason === 'stop')).toBe(true);
    expect(abortListeners(parent.signal)).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('children that reached their deadline leave nothing on the parent', async () => {
    const clock = new VirtualClock(0);
    const parent = new AbortController();
    const children = Array.from({ length: 100 }, (_, i) =>
      deadlineSignal(10 + i, { clock, signal: parent.signal }),
    );
    await clock.advance(200);
    expect(children.every((c) => c.reason instanceof TimeoutError)).toBe(true);
    expect(abortListeners(parent.signal)).toBe(0);
  });
});

describe('deadlineSignal on a long-lived parent (soak)', () => {
  it('10,000 executions, each with its own deadline on one parent, keep at most one listener on it', async () => {
    const parent = new AbortController();
    const policy = retry();
    let most = 0;
    for (let i = 0; i < 10_000; i++) {
      const signal = deadlineSignal(60_000, { signal: parent.signal });
      await policy.execute(() => i, { signal });
      most = Math.max(most, abortListeners(parent.signal));
    }
    expect(most).toBeLessThanOrEqual(1);
  });

  it('a child the caller dropped is collected long before its deadline', async () => {
    const parent = new AbortController();
    // Made in a function of their own: nothing on this frame can keep the last one alive.
    const refs = await executeEach(1_000, () => deadlineSignal(60_000, { signal: parent.signal }));
    expect(await collectUntil(() => refs.every((r) => r.deref() === undefined))).toBe(true);
    // The parent follows nobody now, and lets go of its last listener too.
    expect(await collectUntil(() => abortListeners(parent.signal) === 0)).toBe(true);
  });

  it('a child nobody references but someone listens to still aborts at its deadline', async () => {
    const parent = new AbortController();
    const viaListener = new Promise<unknown>((resolve) => {
      deadlineSignal(30, { signal: parent.signal }).addEventListener('abort', (event) =>
        resolve((event.target as AbortSignal).reason),
      );
    });
    const viaHandler = new Promise<unknown>((resolve) => {
      const signal = deadlineSignal(30);
      signal.onabort = () => resolve(signal.reason);
    });
    await collectUntil(() => false);
    expect(await viaListener).toBeInstanceOf(TimeoutError);
    expect(await viaHandler).toBeInstanceOf(TimeoutError);
  });

  it('a child whose listener was removed again can be collected', async () => {
    const listener = () => {};
    const refs = await executeEach(100, () => {
      const signal = deadlineSignal(60_000);
      signal.addEventListener('abort', listener);
      signal.removeEventListener('abort', listener);
      signal.onabort = listener;
      signal.onabort = null;
      return signal;
    });
    expect(await collectUntil(() => refs.every((r) => r.deref() === undefined))).toBe(true);
  });
});
