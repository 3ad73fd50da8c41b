import type { Clock, TimerHandle, TimerOptions } from '../clock.js';
import type { Ctx } from './context.js';

/** What a queue does when one of its waiters gives up (set up once per queue, not per waiter). */
export interface GiveUp<W> {
  /** Takes `waiter` out of the queue, detaching it. */
  readonly leave: (waiter: W) => void;
  /** The error for a waiter whose patience ran out (reported as the queue sees fit). */
  readonly timedOut: (patience: number) => unknown;
}

/**
 * A caller waiting in a queue for a slot (the bulkhead's, adaptive concurrency's): settled by whoever hands it a
 * slot, or giving up when its patience runs out or its caller aborts. Until it leaves the queue it holds a patience
 * timer (which keeps the process alive unless the queue's timer options say not to: it guards pending work) and a
 * listener on the caller's signal; `detach` drops both.
 */
export class QueuedWaiter {
  timer: TimerHandle | undefined = undefined;
  unsubscribe: (() => void) | undefined = undefined;

  constructor(
    readonly resolve: () => void,
    readonly reject: (reason: unknown) => void,
  ) {}

  /**
   * Gives up after `patience` ms (none when Infinity) with `giveUp.timedOut`'s error, or when the caller aborts with
   * its reason: either way it first leaves the queue.
   */
  guard<W extends QueuedWaiter>(
    this: W,
    context: Ctx,
    patience: number,
    clock: Clock,
    timerOptions: TimerOptions | undefined,
    giveUp: GiveUp<W>,
  ): void {
    if (patience !== Number.POSITIVE_INFINITY) {
      this.timer = clock.setTimer(
        () => {
          this.timer = undefined;
          giveUp.leave(this);
          this.reject(giveUp.timedOut(patience));
        },
        patience,
        timerOptions,
      );
    }
    if (context.canAbort) {
      this.unsubscribe = context.subscribe((reason) => {
        this.unsubscribe = undefined;
        giveUp.leave(this);
        this.reject(reason);
      });
    }
  }

  /** Drops what it holds besides its place in the queue: its patience timer and its abort listener. */
  detach(clock: Clock): void {
    if (this.timer !== undefined) {
      clock.clearTimer(this.timer);
      this.timer = undefined;
    }
    const unsubscribe = this.unsubscribe;
    if (unsubscribe !== undefined) {
      this.unsubscribe = undefined;
      unsubscribe();
    }
  }
}
