import type { RateLimitStore } from '@bulwark/core/store';
import { flushMicrotasks } from '@bulwark/core/testing';

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A virtual clock for a store that answers over the network. Like core's VirtualClock, time moves only through
 * `advance` and `runAll`, and timers fire in due order; but before each timer, and in `settle`, it waits until
 * every call to the tracked store has been answered and every continuation has run. So a story told to a limiter
 * on a Redis store unfolds exactly as on a store answering one microtask later.
 */
export class SettlingClock {
  private time = 0;
  private seq = 0;
  private timers: Timer[] = [];
  private inflight = 0;
  private idle: Array<() => void> = [];

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): Timer {
    const timer = { due: this.time + Math.max(0, ms || 0), seq: this.seq++, callback };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  refTimer(): void {}

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Waits until no store call is pending and the continuations they caused have run. */
  async settle(): Promise<void> {
    for (;;) {
      await flushMicrotasks();
      if (this.inflight === 0) return;
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }

  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await this.settle();
    for (let next = this.earliest(); next !== undefined && next.due <= target; next = this.earliest()) {
      await this.fire(next);
    }
    this.time = Math.max(this.time, target);
    await this.settle();
  }

  async runAll(): Promise<void> {
    await this.settle();
    for (let next = this.earliest(); next !== undefined; next = this.earliest()) await this.fire(next);
  }

  /** The store, its calls counted so that `settle` waits for their answers. */
  track(store: RateLimitStore): RateLimitStore {
    const counted =
      <A, R>(method: (request: A) => R | PromiseLike<R>) =>
      (request: A): Promise<R> => {
        this.inflight++;
        const done = () => {
          if (--this.inflight === 0) for (const resolve of this.idle.splice(0)) resolve();
        };
        return Promise.resolve(method.call(store, request)).then(
          (value) => {
            done();
            return value;
          },
          (error: unknown) => {
            done();
            throw error;
          },
        );
      };
    return {
      acquire: counted(store.acquire),
      adjust: counted(store.adjust),
      pause: counted(store.pause),
      read: counted(store.read),
    };
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers)
      if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    return best;
  }

  private async fire(timer: Timer): Promise<void> {
    this.timers = this.timers.filter((t) => t !== timer);
    if (timer.due > this.time) this.time = timer.due;
    timer.callback();
    await this.settle();
  }
}
