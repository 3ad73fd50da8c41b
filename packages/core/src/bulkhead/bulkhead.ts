import type { Clock, TimerOptions } from '../clock.js';
import { BulkheadRejectedError } from '../errors.js';
import type { Ctx } from '../internal/context.js';
import { type GiveUp, QueuedWaiter } from '../internal/queued-waiter.js';
import { HOLD, type SlotHolder } from '../internal/slot-holders.js';
import { unrefOption } from '../internal/timer-options.js';
import { clockOf, orDefault, policyName, requireInteger, requirePositive } from '../internal/validate.js';
import { type Next, PolicyBase, RUN } from '../policy.js';
import { type Linked, LinkedList } from '../internal/linked-list.js';

/** Options of {@link bulkhead}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface BulkheadOptions {
  /** Executions allowed to run at the same time (integer >= 1, or Infinity). Required. */
  readonly maxConcurrent: number;
  /** Executions allowed to wait for a slot (integer >= 0, or Infinity). Default 0: reject when all slots run. */
  readonly maxQueue?: number;
  /**
   * Longest a queued execution waits for a slot (ms, > 0). Default: no limit. The caller's deadline (a timeout
   * policy outside, or `execute(fn, { deadline })`) shortens it; the caller's signal ends it at any time.
   */
  readonly queueTimeout?: number;
  /**
   * Let the process exit while a call waits in the queue. Default false: a queued call's timeout timer keeps a
   * Node process alive until the call leaves the queue (it is cleared then).
   */
  readonly unref?: boolean;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'bulkhead'`. */
  readonly name?: string;
}

/** One caller waiting for a slot. Resolved when a finishing execution hands its slot over. */
class QueuedCall extends QueuedWaiter implements Linked<QueuedCall> {
  prev: QueuedCall | undefined = undefined;
  next: QueuedCall | undefined = undefined;
  linked = false;
}

/**
 * Limits how many executions run at once, with an optional FIFO queue for the overflow. A slot stands for work
 * really running: it is held until the function settles, even when a layer inside (a timeout, a hedge) answered
 * the caller earlier.
 */
export class BulkheadPolicy
  extends PolicyBase<never, 'success' | 'failure' | 'queued' | 'rejected' | 'limitChange'>
  implements SlotHolder
{
  /** Executions allowed to run at once (see {@link BulkheadPolicy.maxConcurrent}); changed by resize. */
  declare private limit: number;
  /** Executions allowed to wait (see {@link BulkheadPolicy.maxQueue}); changed by resize. */
  declare private queueLimit: number;
  /** Longest wait in the queue (ms); undefined for no limit: {@link BulkheadOptions.queueTimeout}. */
  declare readonly queueTimeout: number | undefined;
  declare private readonly clock: Clock;
  declare private readonly timerOptions: TimerOptions | undefined;
  private active = 0;
  private readonly queue = new LinkedList<QueuedCall>();

  constructor(options: BulkheadOptions) {
    super(policyName(options, 'bulkhead', 'maxConcurrent'));
    this.limit = requireInteger('maxConcurrent', options.maxConcurrent, 1, true);
    this.queueLimit = requireInteger('maxQueue', orDefault(options.maxQueue, 0), 0, true);
    this.queueTimeout =
      options.queueTimeout === undefined
        ? undefined
        : requirePositive('queueTimeout', options.queueTimeout, true);
    if (this.queueTimeout === Number.POSITIVE_INFINITY) this.queueTimeout = undefined;
    this.timerOptions = unrefOption(options.unref);
    this.clock = clockOf(options.clock);
  }

  /** Executions allowed to run at once: {@link BulkheadOptions.maxConcurrent}, or the last {@link resize}. */
  get maxConcurrent(): number {
    return this.limit;
  }

  /** Executions allowed to wait for a slot: {@link BulkheadOptions.maxQueue}, or the last {@link resize}. */
  get maxQueue(): number {
    return this.queueLimit;
  }

  /**
   * Changes the bulkhead's size at run time (resilience4j's `changeConfig`). A larger `maxConcurrent` admits
   * queued callers at once, in their order; a smaller one cancels nothing: running executions finish, and nobody
   * is admitted until fewer than the new size run. A smaller `maxQueue` keeps the callers already queued (they
   * keep their place, timeout and signal) and refuses newcomers until the queue is below it. Emits `limitChange`
   * `{ from, to, reason }` when `maxConcurrent` changes.
   * @param maxConcurrent The new size: an integer >= 1, or Infinity.
   * @param maxQueue The new queue size: an integer >= 0, or Infinity. Default: unchanged.
   * @throws {@link InvalidOptionError} naming `maxConcurrent` or `maxQueue` for a bad value (nothing changes then).
   */
  resize(maxConcurrent: number, maxQueue?: number): void {
    const limit = requireInteger('maxConcurrent', maxConcurrent, 1, true);
    const queueLimit =
      maxQueue === undefined ? this.queueLimit : requireInteger('maxQueue', maxQueue, 0, true);
    const from = this.limit;
    this.limit = limit;
    this.queueLimit = queueLimit;
    if (from !== limit && this.listens('limitChange')) {
      this.events.emit('limitChange', {
        policy: this.name,
        from,
        to: limit,
        reason: limit > from ? 'increase' : 'decrease',
      });
    }
    // Slots the larger size frees go to the queue's head first, in order.
    for (let head = this.queue.head; head !== undefined && this.active < limit; head = this.queue.head) {
      this.active++;
      this.leave(head);
      head.resolve();
    }
  }

  /** Executions running now. */
  get executing(): number {
    return this.active;
  }

  /** Executions waiting for a slot now. */
  get queued(): number {
    return this.queue.size;
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    // A free slot implies an empty queue (a finishing execution hands its slot to the head directly), so taking
    // it cannot overtake anybody.
    if (this.active >= this.limit) {
      if (this.queue.size < this.queueLimit) return this.enqueue(context, next);
      if (this.listens('rejected'))
        this.events.emit('rejected', { policy: this.name, reason: 'bulkheadFull' });
      return Promise.reject(new BulkheadRejectedError('full'));
    }
    this.active++;
    let promise: Promise<unknown>;
    if (this.listens('success') || this.listens('failure')) {
      promise = this.runReported(context, next, this.clock, this.clock.now());
    } else {
      try {
        promise = Promise.resolve(next(context));
      } catch (error) {
        this.release();
        return Promise.reject(error);
      }
    }
    // The caller gets the function's own promise; the slot is freed by a reaction registered before the caller's
    // await, so it is free when the caller resumes. Bound handler: no closure per call; it never throws, so the
    // reaction's own promise cannot reject unhandled.
    promise.then(this.releaseSlot, this.releaseSlot);
    return promise;
  }

  private readonly releaseSlot = (): void => {
    this.release();
  };

  /**
   * Work a layer inside left running when it answered its caller: it takes a slot of its own until it
   * settles, so the slot of the call that started it can be freed as usual. While such work runs, `executing` may
   * exceed maxConcurrent (one admitted call may leave several attempts running); nobody is admitted until it is
   * below again.
   */
  [HOLD](work: Promise<unknown>): void {
    this.active++;
    work.then(this.releaseSlot, this.releaseSlot);
  }

  private async enqueue(context: Ctx, next: Next): Promise<unknown> {
    const started = this.clock.now();
    try {
      await this.waitForSlot(context, started);
    } catch (reason) {
      // Timed out in the queue (already reported as rejected) or aborted by the caller.
      if (context.aborted) this.reportFailure(this.clock, reason, started);
      throw reason;
    }
    // The slot is ours. The caller may have aborted between the hand-over and now: give it back at once.
    if (context.aborted) {
      this.release();
      this.reportFailure(this.clock, context.reason, started);
      throw context.reason;
    }
    try {
      return await this.runReported(context, next, this.clock, started);
    } finally {
      this.release();
    }
  }

  private waitForSlot(context: Ctx, started: number): Promise<void> {
    if (context.aborted) return Promise.reject(context.reason);
    // Waiting past the caller's deadline is pointless: the deadline shortens the queue timeout.
    const deadline = context.deadline;
    let patience = this.queueTimeout ?? Number.POSITIVE_INFINITY;
    if (deadline !== undefined && deadline - started < patience) patience = Math.max(0, deadline - started);
    if (patience === 0) return Promise.reject(this.timedOut());
    return new Promise<void>((resolve, reject) => {
      const call = new QueuedCall(resolve, reject);
      if (this.listens('queued'))
        this.events.emit('queued', { policy: this.name, position: this.queue.size });
      this.queue.push(call);
      call.guard(context, patience, this.clock, this.timerOptions, this.giveUp);
    });
  }

  private timedOut(): BulkheadRejectedError {
    if (this.listens('rejected')) this.events.emit('rejected', { policy: this.name, reason: 'queueTimeout' });
    return new BulkheadRejectedError('queueTimeout');
  }

  /** Removes a queued call and everything it holds (timer, abort listener). */
  private leave(call: QueuedCall): void {
    this.queue.remove(call);
    call.detach(this.clock);
  }

  private readonly giveUp: GiveUp<QueuedCall> = {
    leave: (call) => this.leave(call),
    timedOut: () => this.timedOut(),
  };

  /** Frees a slot, handing it straight to the head of the queue so nobody arriving later can take it first. */
  private release(): void {
    const head = this.queue.head;
    // Over the limit (work left running holds slots of its own): this slot is not free to give.
    if (head === undefined || this.active > this.limit) {
      this.active--;
      return;
    }
    this.leave(head);
    head.resolve();
  }
}

/**
 * Caps concurrent executions at `maxConcurrent`; up to `maxQueue` more wait in FIFO order for a slot.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function bulkhead(options: BulkheadOptions): BulkheadPolicy {
  return new BulkheadPolicy(options);
}
