/** QueuedWaiter: what a caller waiting for a slot holds (patience timer, abort listener) and how it gives up. */
import { describe, expect, it } from 'vitest';
import type { Ctx } from '../../src/internal/context.js';
import { type GiveUp, QueuedWaiter } from '../../src/internal/queued-waiter.js';
import { VirtualClock } from '../../src/testing.js';

/** A context the test aborts by hand, counting the listeners it holds (each called once, then dropped, as Ctx does). */
function abortable(canAbort = true) {
  const listeners = new Set<(reason: unknown) => void>();
  const context = {
    canAbort,
    subscribe(listener: (reason: unknown) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as Ctx;
  const abort = (reason: unknown) => {
    for (const listener of [...listeners]) {
      listeners.delete(listener);
      listener(reason);
    }
  };
  return { context, listeners, abort };
}

function waiting(patience: number, canAbort = true) {
  const clock = new VirtualClock();
  const { context, listeners, abort } = abortable(canAbort);
  const left: QueuedWaiter[] = [];
  const giveUp: GiveUp<QueuedWaiter> = {
    leave: (w) => {
      left.push(w);
      w.detach(clock);
    },
    timedOut: (ms) => new Error(`waited ${ms} ms`),
  };
  let waiter!: QueuedWaiter;
  const promise = new Promise<void>((resolve, reject) => {
    waiter = new QueuedWaiter(resolve, reject);
  });
  waiter.guard(context, patience, clock, undefined, giveUp);
  // Settled while the virtual clock runs: its outcome is read afterwards, without an unhandled rejection meanwhile.
  const outcome = promise.then(
    () => 'resolved' as const,
    (error: unknown) => error,
  );
  return { clock, listeners, abort, left, waiter, outcome };
}

describe('QueuedWaiter', () => {
  it('gives up when its patience runs out: leaves the queue first, then rejects with the queue’s error', async () => {
    const { clock, listeners, left, waiter, outcome } = waiting(100);
    expect(clock.pendingTimers).toBe(1);
    expect(listeners.size).toBe(1);
    await clock.advance(99);
    expect(left).toEqual([]);
    await clock.advance(1);
    expect(left).toEqual([waiter]);
    expect(await outcome).toEqual(new Error('waited 100 ms'));
    expect(clock.pendingTimers).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('gives up at its caller’s abort with the caller’s reason, dropping its timer', async () => {
    const { clock, listeners, abort, left, waiter, outcome } = waiting(100);
    const reason = new Error('caller left');
    abort(reason);
    expect(left).toEqual([waiter]);
    expect(await outcome).toBe(reason);
    expect(clock.pendingTimers).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('holds no timer with an infinite patience, and no listener when nothing can abort', () => {
    const { clock, listeners } = waiting(Number.POSITIVE_INFINITY, false);
    expect(clock.pendingTimers).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('detach drops both, once: served waiters keep nothing', async () => {
    const { clock, listeners, left, waiter, outcome } = waiting(100);
    waiter.detach(clock);
    waiter.detach(clock);
    waiter.resolve();
    expect(await outcome).toBe('resolved');
    expect(clock.pendingTimers).toBe(0);
    expect(listeners.size).toBe(0);
    await clock.advance(1_000);
    expect(left).toEqual([]);
  });
});
