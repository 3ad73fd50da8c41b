import type { Clock, TimerOptions } from '../clock.js';
import type { Ctx } from '../internal/context.js';
import { KeyQueue, type ProjectionHooks, Waiter } from './key-queue.js';
import { TIME_EPSILON } from './state.js';
import type { AcquireResult, Admission, RateLimitScope, RateLimitStore, ReadResult } from './store.js';
import { isThenable } from '../internal/thenable.js';
import { AcquireArgs } from './store-calls.js';

/** What the waitlist needs from its rate limiter. */
export interface WaitlistHost extends ProjectionHooks {
  readonly store: RateLimitStore;
  readonly scope: RateLimitScope;
  readonly clock: Clock;
  /** Options for the waiters' timers (`unref`); by default a waiter's timer keeps the process alive. */
  readonly timerOptions: TimerOptions | undefined;
  /** An admission whose caller left before it could run: give the usage back. */
  giveBack(key: string, admission: Admission): void;
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
  /** Lent to the store call after call; replaced when an asynchronous store keeps it. */
  declare private request: AcquireArgs;

  constructor(private readonly host: WaitlistHost) {
    this.request = new AcquireArgs(host.scope);
  }

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

  /**
   * Waits for admission; resolves with the admission time (the store's), after the store has recorded the usage
   * in `marks`. A caller who already left leaves at once: `subscribe` calls back before it returns.
   */
  join(key: string, costs: readonly number[], until: number, context: Ctx, marks: number[]): Promise<number> {
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

  /**
   * The policy's scope was replaced (same id, new numbers: setLimits). Fails the waiters `unfit` returns an error
   * for (a cost the new limits can never admit), then projects everybody again against the new limits.
   */
  rescope(unfit: (costs: readonly number[]) => Error | undefined): void {
    this.request = new AcquireArgs(this.host.scope);
    for (const q of this.queues.values()) {
      for (let waiter = q.waiters.head; waiter !== undefined; ) {
        const following = waiter.next;
        const error = unfit(waiter.costs);
        if (error !== undefined) q.drop(waiter, error);
        waiter = following;
      }
    }
    this.invalidate();
  }

  /** The limits changed under the waiters of `key` (every key when undefined): project them again. */
  invalidate(key?: string): void {
    if (key !== undefined) {
      const q = this.queues.get(key);
      if (q !== undefined) {
        q.stale();
        this.pump(q);
      }
      return;
    }
    for (const q of [...this.queues.values()]) {
      q.stale();
      this.pump(q);
    }
  }

  private abandon(q: KeyQueue, waiter: Waiter, reason: unknown): void {
    waiter.unsubscribe = undefined;
    if (!q.unlink(waiter)) return;
    // Everybody behind may now be admitted earlier.
    q.stale();
    waiter.reject(reason);
    this.pump(q);
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
        // Never while a read is pending: project() has returned false then, and pump with it.
        this.disarm(q);
        this.queues.delete(q.key);
        return;
      }
      const now = this.host.clock.now();
      if (head.time > now + q.offset + TIME_EPSILON) {
        this.arm(q, head.time - q.offset, now);
        return;
      }
      this.disarm(q);
      let result: AcquireResult | PromiseLike<AcquireResult>;
      try {
        result = this.host.store.acquire(this.request.set(q.key, head.costs, now, head.marks));
      } catch (error) {
        q.drop(head, error);
        q.stale();
        continue;
      }
      if (isThenable(result)) {
        // The store keeps the request until it answers: the next call takes a fresh one.
        this.request = new AcquireArgs(this.host.scope);
        q.admitting = true;
        result.then(
          (r) => {
            q.admitting = false;
            this.admitted(q, head, r, now);
            this.pump(q);
          },
          (error: unknown) => {
            q.admitting = false;
            q.drop(head, error);
            q.stale();
            this.pump(q);
          },
        );
        return;
      }
      this.admitted(q, head, result, now);
    }
  }

  /** Acts on the store's answer for the head, asked at `askedAt` on the policy's clock. */
  private admitted(q: KeyQueue, head: Waiter, result: AcquireResult, askedAt: number): void {
    // The time the store recorded the admission at: its own, or the one it was asked with.
    const at = result.at ?? askedAt;
    if (!head.linked) {
      // The caller left while an asynchronous store admitted it.
      if (result.admitted) this.host.giveBack(q.key, { at, costs: head.costs, marks: head.marks });
      return;
    }
    if (!result.admitted) {
      // Reality moved away from the projection (feedback, a shared store): project everybody again.
      q.stale();
      if (!this.project(q) || q.waiters.head !== head) return;
      // Never spin: a store that denies what the projection admits is retried a millisecond later.
      const current = this.host.clock.now() + q.offset;
      if (head.time <= current + TIME_EPSILON) head.time = current + 1;
      return;
    }
    q.unlink(head);
    // The projection assumed admission at head.time; a late timer recorded the usage later than that.
    if (at > head.time + TIME_EPSILON) q.stale();
    head.resolve(at);
  }

  /**
   * Brings the projection up to date: rebuilt from a store reading when invalid, else extended by the newcomers.
   * Returns false while an asynchronous read is pending.
   */
  private project(q: KeyQueue): boolean {
    const { clock, scope } = this.host;
    if (q.projection !== undefined) {
      q.extend(
        q.projectedTail === undefined ? q.waiters.head : q.projectedTail.next,
        clock.now(),
        scope.limits,
        this.host,
      );
      return true;
    }
    if (q.reading) return false;
    // Nobody to project (the last waiters failed with a read): reading again would loop while the store fails.
    if (q.waiters.head === undefined) return true;
    const epoch = q.epoch;
    let reading: ReadResult | PromiseLike<ReadResult>;
    try {
      reading = this.host.store.read({ scope, key: q.key, now: clock.now() });
    } catch (error) {
      this.failAll(q, error);
      return true;
    }
    if (!isThenable(reading)) {
      q.rebuild(reading, clock.now(), scope.limits, this.host);
      return true;
    }
    q.reading = true;
    reading.then(
      (answer) => {
        q.reading = false;
        // Invalidated while reading: pump reads again.
        if (q.epoch === epoch) q.rebuild(answer, clock.now(), scope.limits, this.host);
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

  private failAll(q: KeyQueue, error: unknown): void {
    for (let waiter = q.waiters.head; waiter !== undefined; waiter = q.waiters.head) q.drop(waiter, error);
    q.stale();
  }

  /** Arms the key's timer for `due` on the policy's clock. */
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
