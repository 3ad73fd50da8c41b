/**
 * Test helpers: a virtual clock that runs timers only when told to, and a seeded random source.
 * Import from `@bulwark/core/testing`.
 */
import type { Clock, TimerHandle, TimerOptions } from './clock.js';

export type { Clock } from './clock.js';

interface VirtualTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/** Lets every queued microtask (promise continuation) run, including chains of them. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock whose time moves only through `advance`/`runAll`. Timers fire in due order (ties in creation order),
 * with promise continuations flushed between timers, so code awaiting a wait runs before the next timer.
 */
export class VirtualClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, VirtualTimer>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number, _options?: TimerOptions): TimerHandle {
    const id = this.nextId++;
    // As the real clock: negative and NaN delays mean 0; an infinite one never fires.
    const delay = Math.max(0, ms || 0);
    this.timers.set(id, { id, due: this.time + delay, callback });
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Number of timers still scheduled: a leak check for tests. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Due time of the earliest timer, or undefined when none is scheduled. */
  get nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.time + ms);
  }

  /** Moves time forward to `target` (absolute), firing every timer due by then. */
  async advanceTo(target: number): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.due > target) break;
      this.timers.delete(next.id);
      this.time = Math.max(this.time, next.due);
      next.callback();
      await flushMicrotasks();
    }
    this.time = Math.max(this.time, target);
    await flushMicrotasks();
  }

  /** Fires timers until none is left (bounded, so a self-rescheduling timer cannot hang a test). */
  async runAll(maxTimers = 10_000): Promise<void> {
    await flushMicrotasks();
    for (let i = 0; i < maxTimers; i++) {
      const next = this.earliest();
      if (next === undefined || next.due === Number.POSITIVE_INFINITY) return;
      await this.advanceTo(next.due);
    }
    throw new Error(
      `VirtualClock.runAll: more than ${maxTimers} timers fired; is something rescheduling forever?`,
    );
  }

  private earliest(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const timer of this.timers.values()) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.id < best.id))
        best = timer;
    }
    return best;
  }
}

/** A deterministic random source in [0, 1) (mulberry32), for reproducible jitter in tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
