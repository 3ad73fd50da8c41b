/**
 * Test helpers: a virtual clock that runs timers only when told to, a seeded random source, and the sliding-window
 * counter core's policies count with, for fakes and load models (the fake Gemini server's quotas, the benchmarks'
 * service model). Import from `@bulwark/core/testing`. Portable: Node, Bun, Deno and browsers.
 */
import type { Clock, TimerHandle, TimerOptions } from './clock.js';
import { IndexedHeap } from './internal/indexed-heap.js';

export type { Clock } from './clock.js';
export { SlidingCounter } from './internal/sliding-counter.js';

/** One scheduled callback. It remembers its place in the heap, so clearing it is O(log n). */
class VirtualTimer {
  /** Position in the clock's heap; -1 once fired or cleared. */
  index = -1;
  constructor(
    readonly due: number,
    /** Creation order: timers due at the same time fire in the order they were set. */
    readonly seq: number,
    readonly callback: () => void,
  ) {}
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * Runs `callback` as a macrotask, once every promise continuation queued before (and every one they queue in
 * turn) has run. Chosen once, when this module loads, so fake timers installed later cannot capture it:
 * `setImmediate` where it exists (Node, Bun: the cheapest), else a `MessageChannel` (browsers, Deno, workers),
 * else `setTimeout(0)`.
 */
const macrotask: (callback: () => void) => void = pickMacrotask();

function pickMacrotask(): (callback: () => void) => void {
  const scope = globalThis as {
    setImmediate?: (callback: () => void) => unknown;
    MessageChannel?: typeof MessageChannel;
    setTimeout: (callback: () => void, ms: number) => unknown;
  };
  const immediate = scope.setImmediate;
  if (typeof immediate === 'function') return (callback) => void immediate(callback);
  const Channel = scope.MessageChannel;
  if (typeof Channel === 'function') {
    // One channel while flushes are pending, closed once none is: an open port could keep a process alive.
    const waiting: Array<() => void> = [];
    let channel: MessageChannel | undefined;
    return (callback) => {
      if (channel === undefined) {
        const opened = new Channel();
        channel = opened;
        opened.port1.onmessage = () => {
          // One message per callback waiting, all posted on the channel open now (the only one open).
          const next = waiting.shift()!;
          if (waiting.length === 0) {
            opened.port1.close();
            channel = undefined;
          }
          next();
        };
      }
      waiting.push(callback);
      channel.port2.postMessage(undefined);
    };
  }
  const timeout = scope.setTimeout;
  return (callback) => void timeout(callback, 0);
}

/** Lets every queued microtask (promise continuation) run, including chains of them. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => macrotask(resolve));
}

/**
 * A clock whose time moves only through `advance`/`advanceTo`/`runAll`. Timers fire in due order (ties in creation
 * order), with promise continuations flushed between timers, so code awaiting a wait runs before the next timer.
 * Timers sit in a binary heap: setting, clearing and firing one is O(log n), however many are pending.
 */
export class VirtualClock implements Clock {
  declare private time: number;
  private seq = 0;
  private readonly heap = new IndexedHeap<VirtualTimer>(before);

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** As the real clock: a negative or NaN delay counts as 0; a timer of `Infinity` ms never fires. */
  setTimer(callback: () => void, ms: number, _options?: TimerOptions): TimerHandle {
    const timer = new VirtualTimer(this.time + Math.max(0, ms || 0), this.seq++, callback);
    this.heap.push(timer);
    return timer;
  }

  /** Virtual timers never hold a process; accepted so that code toggling real timers runs the same path. */
  refTimer(_handle: TimerHandle, _ref: boolean): void {}

  /** Cancels a virtual timer; another clock's timer, or one already fired or cleared, is left alone. */
  clearTimer(handle: TimerHandle): void {
    // Another clock's timer, or one already fired or cleared, is left alone by the heap.
    if (handle instanceof VirtualTimer) this.heap.remove(handle);
  }

  /** Number of timers still scheduled: a leak check for tests. */
  get pendingTimers(): number {
    return this.heap.size;
  }

  /** Due time of the earliest timer, or undefined when none is scheduled. */
  get nextDue(): number | undefined {
    return this.heap.peek()?.due;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.time + ms);
  }

  /** Moves time forward to `target` (absolute), firing every timer due by then. */
  async advanceTo(target: number): Promise<void> {
    await flushMicrotasks();
    for (let next = this.heap.peek(); next !== undefined && next.due <= target; next = this.heap.peek()) {
      if (next.due === Number.POSITIVE_INFINITY) break;
      await this.fire(next);
    }
    if (target > this.time) this.time = target;
    await flushMicrotasks();
  }

  /**
   * Fires timers until none is left, moving time to each one's due time. Bounded (`maxTimers` successive due
   * times), so a self-rescheduling timer cannot hang a test.
   */
  async runAll(maxTimers = 10_000): Promise<void> {
    await flushMicrotasks();
    let steps = 0;
    for (let next = this.heap.peek(); next !== undefined; next = this.heap.peek()) {
      if (next.due === Number.POSITIVE_INFINITY) return;
      // Timers due at the instant already reached count as one step, as in advanceTo(that instant).
      if ((next.due > this.time || steps === 0) && ++steps > maxTimers) {
        throw new Error(
          `VirtualClock.runAll: more than ${maxTimers} timers fired; is something rescheduling forever?`,
        );
      }
      await this.fire(next);
    }
  }

  /** Fires the earliest timer, then lets the continuations it caused run before anything else. */
  private async fire(timer: VirtualTimer): Promise<void> {
    this.heap.remove(timer);
    // Never back in time: a timer is due no earlier than when it was set, and timers fire in due order.
    this.time = timer.due;
    timer.callback();
    await flushMicrotasks();
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
