import type { Clock, TimerHandle, TimerOptions } from '../clock.js';
import type { Ctx } from '../internal/context.js';
import { type Linked, LinkedList } from '../internal/linked-list.js';
import type { AcquireResult, RateLimitScope, RateLimitStore } from './store.js';
import { type Blocker, consumeAll, fitAll, freshState, type KeyState, TIME_EPSILON } from './state.js';

/** What the waitlist needs from its rate limiter. */
export interface WaitlistHost {
  readonly store: RateLimitStore;
  readonly scope: RateLimitScope;
  readonly clock: Clock;
  /** Options for the waiters' timers (`unref`); by default a waiter's timer keeps the process alive. */
  readonly timerOptions: TimerOptions | undefined;
  /** A waiter was given its expected wait for the first time. */
  onQueued(key: string, delay: number, position: number): void;
  /** Builds (and reports) the error for a waiter that cannot be admitted by its latest acceptable time. */
  refuse(key: string, retryAfterMs: number, limit: number): Error;
  /** An admission (at `at`) whose caller left before it could run: give the usage back. */
  giveBack(key: string, costs: readonly number[], marks: readonly number[], at: number): void;
}

/** One caller waiting for admission. */
class Waiter implements Linked<Waiter> {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  linked = false;
  /** Projected admission time; NaN until projected. */
  time = Number.NaN;
  announced = false;
  unsubscribe: (() => void) | undefined = undefined;

  constructor(
    readonly costs: readonly number[],
    /** Latest acceptable admission time (maxWait, caller's deadline). */
    readonly until: number,
    readonly marks: number[],
    readonly position: number,
    readonly resolve: (admittedAt: number) => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/** The FIFO of one key, with its projection: the store state as it will be once every waiter is admitted. */
class KeyQueue {
  readonly waiters = new LinkedList<Waiter>();
  projection: KeyState | undefined = undefined;
  /** The last waiter included in the projection. */
  projectedTail: Waiter | undefined = undefined;
  lastTime = Number.NEGATIVE_INFINITY;
  timer: TimerHandle | undefined = undefined;
  timerDue = Number.NaN;
  /** An asynchronous store read is in flight. */
  reading = false;
  /** Counts invalidations, so a read that raced with one is not used. */
  epoch = 0;
  /** An asynchronous store acquire is in flight. */
  admitting = false;

  constructor(readonly key: string) {}
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/**
 * Callers who must wait for a rate limit, in FIFO order per key. Each newcomer is projected behind everybody
 * already waiting, so it learns its wait at once (and is refused at once when that passes its maxWait or
 * deadline); a big request keeps its place and is never overtaken by small ones arriving later. Only the head of
 * each key has a timer; admission is always a fresh atomic store check, so feedback that changes the limits
 * (pause, reconcile, another process sharing the store) can delay waiters but never over-admit.
 */
export class Waitlist {
  private readonly queues = new Map<string, KeyQueue>();
  private readonly blocker: Blocker = { limit: -2 };

  constructor(private readonly host: WaitlistHost) {}

  /** Keys with somebody waiting. */
  get keys(): number {
    return this.queues.size;
  }

  has(key: string): boolean {
    return this.queues.has(key);
  }

  /** Callers waiting, for one key or in total. */
  waiting(key?: string): number {
    if (key !== undefined) return this.queues.get(key)?.waiters.size ?? 0;
    let n = 0;
    for (const q of this.queues.values()) n += q.waiters.size;
    return n;
  }

  /** Waits for admission; resolves with the admission time, after the store has recorded the usage in `marks`. */
  join(key: string, costs: readonly number[], until: number, context: Ctx, marks: number[]): Promise<number> {
    if (context.aborted) return Promise.reject(context.reason);
    let q = this.queues.get(key);
    if (q === undefined) {
      q = new KeyQueue(key);
      this.queues.set(key, q);
    }
    const queue = q;
    return new Promise<number>((resolve, reject) => {
      const waiter = new Waiter(costs, until, marks, queue.waiters.size, resolve, reject);
      queue.waiters.push(waiter);
      if (context.canAbort)
        waiter.unsubscribe = context.subscribe((reason) => this.abandon(queue, waiter, reason));
      this.pump(queue);
    });
  }

  /** The limits changed under the waiters of `key` (every key when undefined): project them again. */
  invalidate(key?: string): void {
    if (key !== undefined) {
      const q = this.queues.get(key);
      if (q !== undefined) {
        this.stale(q);
        this.pump(q);
      }
      return;
    }
    for (const q of [...this.queues.values()]) {
      this.stale(q);
      this.pump(q);
    }
  }

  /** The projection no longer matches the store: rebuild it before use. */
  private stale(q: KeyQueue): void {
    q.projection = undefined;
    q.epoch++;
  }

  private abandon(q: KeyQueue, waiter: Waiter, reason: unknown): void {
    waiter.unsubscribe = undefined;
    if (!this.unlink(q, waiter)) return;
    // Everybody behind may now be admitted earlier.
    this.stale(q);
    waiter.reject(reason);
    this.pump(q);
  }

  private unlink(q: KeyQueue, waiter: Waiter): boolean {
    if (q.projectedTail === waiter) q.projectedTail = waiter.prev;
    if (!q.waiters.remove(waiter)) return false;
    const unsubscribe = waiter.unsubscribe;
    if (unsubscribe !== undefined) {
      waiter.unsubscribe = undefined;
      unsubscribe();
    }
    return true;
  }

  private drop(q: KeyQueue, waiter: Waiter, error: unknown): void {
    if (this.unlink(q, waiter)) waiter.reject(error);
  }

  /** Projects whoever is not projected yet, then admits or schedules the head. Re-entrant calls are no-ops. */
  private pump(q: KeyQueue): void {
    if (q.admitting) return;
    for (;;) {
      if (q.projection === undefined || q.projectedTail !== q.waiters.tail) {
        if (!this.project(q)) return; // waiting for an asynchronous read
      }
      const head = q.waiters.head;
      if (head === undefined) {
        this.disarm(q);
        if (!q.reading) this.queues.delete(q.key);
        return;
      }
      const now = this.host.clock.now();
      if (head.time > now + TIME_EPSILON) {
        this.arm(q, head.time, now);
        return;
      }
      this.disarm(q);
      let result: AcquireResult | PromiseLike<AcquireResult>;
      try {
        result = this.host.store.acquire(this.host.scope, q.key, head.costs, now, head.marks);
      } catch (error) {
        this.drop(q, head, error);
        this.stale(q);
        continue;
      }
      if (isThenable(result)) {
        q.admitting = true;
        const askedAt = now;
        result.then(
          (r) => {
            q.admitting = false;
            // The store decided as of `askedAt`: that is the admission time it recorded.
            this.admitted(q, head, r, askedAt);
            this.pump(q);
          },
          (error: unknown) => {
            q.admitting = false;
            this.drop(q, head, error);
            this.stale(q);
            this.pump(q);
          },
        );
        return;
      }
      this.admitted(q, head, result, now);
    }
  }

  private admitted(q: KeyQueue, head: Waiter, result: AcquireResult, now: number): void {
    if (!head.linked) {
      // The caller left while an asynchronous store admitted it.
      if (result.admitted) this.host.giveBack(q.key, head.costs, head.marks, now);
      return;
    }
    if (!result.admitted) {
      // Reality moved away from the projection (feedback, a shared store): project everybody again.
      this.stale(q);
      if (!this.project(q) || q.waiters.head !== head) return;
      // Never spin: a store that denies what the projection admits is retried a millisecond later.
      const current = this.host.clock.now();
      if (head.time <= current + TIME_EPSILON) head.time = current + 1;
      return;
    }
    this.unlink(q, head);
    // The projection assumed admission at head.time; a late timer recorded the usage later than that.
    if (now > head.time + TIME_EPSILON) this.stale(q);
    head.resolve(now);
  }

  /**
   * Brings the projection up to date: rebuilt from the store when invalid, else extended by the newcomers.
   * Returns false while an asynchronous read is pending.
   */
  private project(q: KeyQueue): boolean {
    if (q.projection !== undefined) {
      this.extend(q, q.projectedTail === undefined ? q.waiters.head : q.projectedTail.next);
      return true;
    }
    if (q.reading) return false;
    const epoch = q.epoch;
    let snapshot: KeyState | undefined | PromiseLike<KeyState | undefined>;
    try {
      snapshot = this.host.store.read(this.host.scope, q.key, this.host.clock.now());
    } catch (error) {
      this.failAll(q, error);
      return true;
    }
    if (!isThenable(snapshot)) {
      this.rebuild(q, snapshot);
      return true;
    }
    q.reading = true;
    snapshot.then(
      (state) => {
        q.reading = false;
        // Invalidated while reading: pump reads again.
        if (q.epoch === epoch) this.rebuild(q, state);
        this.pump(q);
      },
      (error: unknown) => {
        q.reading = false;
        this.failAll(q, error);
        this.pump(q);
      },
    );
    return false;
  }

  private rebuild(q: KeyQueue, state: KeyState | undefined): void {
    q.projection = state ?? freshState(this.host.scope.limits, this.host.clock.now());
    q.projectedTail = undefined;
    q.lastTime = Number.NEGATIVE_INFINITY;
    this.extend(q, q.waiters.head);
  }

  /** Projects `from` and everybody behind it, each no earlier than the one ahead (FIFO). */
  private extend(q: KeyQueue, from: Waiter | undefined): void {
    const projection = q.projection!;
    const limits = this.host.scope.limits;
    const now = this.host.clock.now();
    for (let waiter = from; waiter !== undefined; ) {
      const following = waiter.next;
      const time = fitAll(limits, projection, waiter.costs, Math.max(now, q.lastTime), this.blocker);
      if (time > waiter.until + TIME_EPSILON) {
        // It cannot be served in time: refuse it now rather than after waiting. It takes nothing from the projection.
        this.drop(q, waiter, this.host.refuse(q.key, time - now, this.blocker.limit));
      } else {
        consumeAll(limits, projection, waiter.costs, time);
        waiter.time = time;
        q.lastTime = time;
        q.projectedTail = waiter;
        if (!waiter.announced) {
          waiter.announced = true;
          this.host.onQueued(q.key, time - now, waiter.position);
        }
      }
      waiter = following;
    }
  }

  private failAll(q: KeyQueue, error: unknown): void {
    for (let waiter = q.waiters.head; waiter !== undefined; waiter = q.waiters.head)
      this.drop(q, waiter, error);
    this.stale(q);
  }

  private arm(q: KeyQueue, due: number, now: number): void {
    if (q.timer !== undefined) {
      if (q.timerDue === due) return;
      this.host.clock.clearTimer(q.timer);
    }
    q.timerDue = due;
    // Whole milliseconds, never early: the head is admissible once the timer fires.
    const delay = Math.max(0, Math.ceil(due - now - TIME_EPSILON));
    q.timer = this.host.clock.setTimer(
      () => {
        q.timer = undefined;
        q.timerDue = Number.NaN;
        this.pump(q);
      },
      delay,
      this.host.timerOptions,
    );
  }

  private disarm(q: KeyQueue): void {
    if (q.timer !== undefined) {
      this.host.clock.clearTimer(q.timer);
      q.timer = undefined;
      q.timerDue = Number.NaN;
    }
  }
}
