import { type Linked, LinkedList } from '../internal/linked-list.js';
import type { TimerHandle } from '../clock.js';
import { type Blocker, consumeAll, fitAll } from './algorithms.js';
import type { RateLimit } from './limits.js';
import { freshState, type KeyState, TIME_EPSILON } from './state.js';
import type { ReadResult } from './store.js';

/** One caller waiting for admission. */
export class Waiter implements Linked<Waiter> {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  linked = false;
  /** Projected admission time, in the store's time; NaN until projected. */
  time = Number.NaN;
  announced = false;
  unsubscribe: (() => void) | undefined = undefined;

  constructor(
    readonly costs: readonly number[],
    /** Latest acceptable admission time (maxWait, caller's deadline), on the policy's clock. */
    readonly until: number,
    readonly marks: number[],
    readonly position: number,
    readonly resolve: (admittedAt: number) => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/** What projecting waiters reports to the rate limiter. */
export interface ProjectionHooks {
  /** A waiter was given its expected wait for the first time. */
  onQueued(key: string, delay: number, position: number): void;
  /** Builds (and reports) the error for a waiter that cannot be admitted by its latest acceptable time. */
  refuse(key: string, retryAfterMs: number, limit: number): Error;
}

/** Reused by extend, which runs synchronously to the end. */
const BLOCKER: Blocker = { limit: -2 };

/**
 * The FIFO of one key, with its projection: the store state as it will be once every waiter is admitted. The
 * projection is in the store's time (a store may keep a clock of its own): `offset` converts the policy's clock
 * to it, as measured by the reading the projection was built from.
 */
export class KeyQueue {
  readonly waiters = new LinkedList<Waiter>();
  projection: KeyState | undefined = undefined;
  /** The last waiter included in the projection. */
  projectedTail: Waiter | undefined = undefined;
  /** Admission time of the last waiter projected (store time). */
  lastTime = Number.NEGATIVE_INFINITY;
  /** The store's time minus the policy's clock. */
  offset = 0;
  timer: TimerHandle | undefined = undefined;
  /** When the timer fires, on the policy's clock. */
  timerDue = Number.NaN;
  /** An asynchronous store read is in flight. */
  reading = false;
  /** Counts invalidations, so a read that raced with one is not used. */
  epoch = 0;
  /** An asynchronous store acquire is in flight. */
  admitting = false;

  constructor(readonly key: string) {}

  /** The projection no longer matches the store: rebuild it before use. */
  stale(): void {
    this.projection = undefined;
    this.epoch++;
  }

  /** Takes `waiter` out of the line (false if it was out already) and stops listening to its signal. */
  unlink(waiter: Waiter): boolean {
    if (this.projectedTail === waiter) this.projectedTail = waiter.prev;
    if (!this.waiters.remove(waiter)) return false;
    const unsubscribe = waiter.unsubscribe;
    if (unsubscribe !== undefined) {
      waiter.unsubscribe = undefined;
      unsubscribe();
    }
    return true;
  }

  drop(waiter: Waiter, error: unknown): void {
    if (this.unlink(waiter)) waiter.reject(error);
  }

  /**
   * Starts the projection again from a store reading received at `local` on the policy's clock, and projects every
   * waiter on it. The store read its time before the answer came back, so the offset errs towards an earlier store
   * time: a timer may fire late by the round trip, never before the store can admit.
   */
  rebuild(reading: ReadResult, local: number, limits: readonly RateLimit[], hooks: ProjectionHooks): void {
    this.offset = reading.now - local;
    this.projection = reading.state ?? freshState(limits, reading.now);
    this.projectedTail = undefined;
    this.lastTime = Number.NEGATIVE_INFINITY;
    this.extend(this.waiters.head, local, limits, hooks);
  }

  /** Projects `from` and everybody behind it, each no earlier than the one ahead (FIFO). */
  extend(
    from: Waiter | undefined,
    local: number,
    limits: readonly RateLimit[],
    hooks: ProjectionHooks,
  ): void {
    const projection = this.projection!;
    const now = local + this.offset;
    for (let waiter = from; waiter !== undefined; ) {
      const following = waiter.next;
      const time = fitAll(limits, projection, waiter.costs, Math.max(now, this.lastTime), BLOCKER);
      if (time > waiter.until + this.offset + TIME_EPSILON) {
        // It cannot be served in time: refuse it now rather than after waiting. It takes nothing from the projection.
        this.drop(waiter, hooks.refuse(this.key, time - now, BLOCKER.limit));
      } else {
        consumeAll(limits, projection, waiter.costs, time);
        waiter.time = time;
        this.lastTime = time;
        this.projectedTail = waiter;
        if (!waiter.announced) {
          waiter.announced = true;
          hooks.onQueued(this.key, time - now, waiter.position);
        }
      }
      waiter = following;
    }
  }
}
