/**
 * deadlineSignal's listener bookkeeping, on a freshly loaded copy of its module: the prototype that tracks a
 * signal's abort listeners is built once per module (at the first signal), so these checks load the module anew
 * to exercise that construction too. A signal nobody references is kept until its deadline by an `onabort`
 * handler or an abort listener (capture or not), and by nothing else.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors.js';
import { deadlineSignal } from '../../src/timeout/deadline.js';
import { VirtualClock } from '../../src/testing.js';
import { gc } from '../support/gc.js';

type Module = typeof import('../../src/timeout/deadline.js');
let fresh: Module;
let copies = 0;

// A new copy of deadline.ts alone (a query makes it another module; what it imports stays the one loaded): a
// whole-registry reset would also run every other module's load-time code inside this file's tests, and mutation
// testing would then count those modules' load-time mutants as covered by these tests only.
beforeEach(async () => {
  const copy = new URL(`../../src/timeout/deadline.ts?copy=${++copies}`, import.meta.url).href;
  fresh = (await import(/* @vite-ignore */ copy)) as Module;
});

/** Collects garbage a few times, letting WeakRefs clear between. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

/** Makes a signal on `clock`, lets `listen` attach to it, and drops it; returns what its listener saw. */
function droppedAndListened(
  clock: VirtualClock,
  listen: (signal: AbortSignal, seen: unknown[]) => void,
): { seen: unknown[]; ref: WeakRef<AbortSignal> } {
  const seen: unknown[] = [];
  const signal = fresh.deadlineSignal(100, { clock });
  listen(signal, seen);
  return { seen, ref: new WeakRef(signal) };
}

describe('the fresh copy', () => {
  it('is a new deadline.ts that shares the modules it imports', async () => {
    expect(fresh.deadlineSignal).not.toBe(deadlineSignal);
    const clock = new VirtualClock();
    const signal = fresh.deadlineSignal(10, { clock });
    await clock.advance(10);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
  });
});

describe('deadlineSignal (fresh module): what keeps a dropped signal until its deadline', () => {
  it('an onabort handler, which reads back', async () => {
    const clock = new VirtualClock();
    const handler = () => {};
    const { seen } = droppedAndListened(clock, (signal, seen) => {
      signal.onabort = () => seen.push(signal.reason);
      expect(signal.onabort).not.toBeNull();
      const other = fresh.deadlineSignal(100, { clock });
      other.onabort = handler;
      expect(other.onabort).toBe(handler);
    });
    await collect();
    await clock.advance(100);
    expect(seen).toHaveLength(1);
    expect((seen[0] as Error).name).toBe('TimeoutError');
  });

  it('an abort listener added after an onabort handler was set elsewhere', async () => {
    const clock = new VirtualClock();
    fresh.deadlineSignal(100, { clock }).onabort = () => {};
    const { seen } = droppedAndListened(clock, (signal, seen) => {
      signal.addEventListener('abort', () => seen.push('bubble'));
      signal.addEventListener('abort', () => seen.push('capture'), { capture: true });
    });
    await collect();
    await clock.advance(100);
    expect(seen.sort()).toEqual(['bubble', 'capture']);
  });

  it('a listener removed for another event type still counts for abort', async () => {
    const clock = new VirtualClock();
    const { seen } = droppedAndListened(clock, (signal, seen) => {
      const listener = () => seen.push('fired');
      signal.addEventListener('abort', listener);
      signal.addEventListener('other', listener);
      signal.removeEventListener('other', listener);
    });
    await collect();
    await clock.advance(100);
    expect(seen).toEqual(['fired']);
  });

  it('a listener removed again is not called, and does not keep the signal', async () => {
    const clock = new VirtualClock();
    const { seen, ref } = droppedAndListened(clock, (signal, seen) => {
      const listener = () => seen.push('removed');
      signal.addEventListener('abort', listener);
      signal.removeEventListener('abort', listener);
      signal.onabort = listener;
      signal.onabort = null;
    });
    await collect();
    expect(ref.deref()).toBeUndefined();
    await clock.advance(100);
    expect(seen).toEqual([]);
  });

  it('a kept signal that is still referenced and had its listener removed is not called at its deadline', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    const signal = fresh.deadlineSignal(100, { clock });
    const listener = () => seen.push('removed');
    signal.addEventListener('abort', listener);
    signal.removeEventListener('abort', listener);
    await clock.advance(100);
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual([]);
  });
});
