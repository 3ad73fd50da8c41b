import type { Clock } from '../clock.js';
import { InvalidOptionError, retryAfterOf } from '../errors.js';
import type { LimitChangeEvent, LimitChangeReason, Unsubscribe } from '../events.js';
import type { Ctx } from '../internal/context.js';
import { HOLD, type SlotHolder } from '../internal/slot-holders.js';
import { describe } from '../internal/validate.js';
import { type Next, PolicyBase, RUN } from '../policy.js';
import { Dispatcher } from './dispatcher/dispatcher.js';
import { LimitController } from './limit-controller.js';
import { type AdaptiveConcurrencyOptions, adaptiveConcurrencySettings } from './options.js';

/** What the limiter holds right now. */
export interface AdaptiveConcurrencyStats {
  /** Current concurrency limit (fractional: floor(limit) calls may run at once). */
  readonly limit: number;
  /** Slots taken: calls running, plus refused calls still holding their slot for one service time. */
  readonly inFlight: number;
  /** Calls waiting for a slot. */
  readonly queued: number;
  /** Smoothed duration of successful calls (ms), undefined until one succeeded. */
  readonly rtt: number | undefined;
  /** True while a delay hint pauses every dispatch. */
  readonly paused: boolean;
}

/**
 * Client-side adaptive concurrency, as TCP congestion control does it: at most floor(`limit`) calls run at once
 * and the rest wait locally (see the waiting order below) instead of being sent to a dependency that would refuse
 * them. The limit is learnt from the answers, so nobody has to know the dependency's capacity.
 *
 * - A success of a call sent while the limit was in use (at least half its slots busy) raises it by
 *   step / limit, so by `step` per round trip: before any overload signal, slow start (the limit doubles every
 *   round trip); after one, a binary search back towards the level of the last decrease (half the gap per round
 *   trip), a slow creep (0.1 per round trip) near it, and past it a probe that speeds up the longer the new
 *   level holds (it doubles the distance travelled beyond it every round trip, up to half the limit). When the
 *   decrease refused such a probe (the level was an overshoot), the climb back is additive: at most a tenth of
 *   the limit, and at least one slot, per round trip, so client processes that share the dependency converge
 *   towards equal shares instead of the quickest keeping what it grabbed.
 * - An overload signal (`handle`) from a call sent after the last decrease sets the limit to `backoffRatio` x
 *   the slots in use; signals from calls sent before it belong to the same episode and do not compound.
 * - A refused call keeps its slot for one smoothed service time, so refusals that come back at once cannot turn
 *   into a tight loop of new sends; a refusal carrying a delay hint (`retryAfterMs`, RetryInfo) pauses every
 *   dispatch for that long (at most `maxPause`).
 * - Waiting calls leave paced, one per (service time / limit), so slots freed together never become a burst;
 *   a limit below 1 paces every call. They leave earliest deadline first (or, with `backlogOrder`
 *   'newestFirst', newest first once the queue is backlogged).
 * - A retry (an attempt after the first, under `retry`) continues a call already admitted: when nobody waits and
 *   no pause holds dispatches, it goes at once, without the pace, into the slot its refused attempt holds (or a
 *   free one) if that keeps the slots in use within the limit. Otherwise it waits like any call.
 * - A waiting call leaves with `ThrottledError` when `maxWait` or its deadline passes, or, when its turn comes,
 *   if less than the likely service time (smoothed, plus two mean deviations) remains before its deadline (it
 *   would probably not finish in time: sending it would only take capacity from calls that can). The caller's
 *   abort rejects at once with the caller's reason.
 *
 * Every wait honours the caller's signal; no timer or listener outlives the call it serves. While calls wait,
 * one timer wakes the room when the pace, a pause or a held slot lets the next one go; it keeps the process alive
 * (unless `unref`). Nobody waiting, no such timer: a pause is a time compared when the next call comes, and a held
 * slot's own timer is unref'd (it only frees the slot on time).
 */
export class AdaptiveConcurrencyPolicy
  extends PolicyBase<never, 'success' | 'failure' | 'queued' | 'rejected' | 'paused' | 'limitChange'>
  implements SlotHolder
{
  /** The lowest limit in force: {@link AdaptiveConcurrencyOptions.minLimit} (default 0.1). */
  declare readonly minLimit: number;
  /** The highest limit in force: {@link AdaptiveConcurrencyOptions.maxLimit} (default 1000). */
  declare readonly maxLimit: number;
  /** The decrease factor in force: {@link AdaptiveConcurrencyOptions.backoffRatio} (default 0.5). */
  declare readonly backoffRatio: number;
  /** The longest wait for a slot (ms): {@link AdaptiveConcurrencyOptions.maxWait} (default 60 000). */
  declare readonly maxWait: number;
  /** The most calls allowed to wait: {@link AdaptiveConcurrencyOptions.maxQueue} (default Infinity). */
  declare readonly maxQueue: number;
  /**
   * The service time assumed before one is measured (ms): {@link AdaptiveConcurrencyOptions.initialRtt} (default 1
   * 000).
   */
  declare readonly initialRtt: number;
  /** The longest pause a delay hint can impose (ms): {@link AdaptiveConcurrencyOptions.maxPause} (default 60 000). */
  declare readonly maxPause: number;
  /**
   * Which waiting call a free slot goes to when backlogged: {@link AdaptiveConcurrencyOptions.backlogOrder} (default
   * 'deadline').
   */
  declare readonly backlogOrder: 'newestFirst' | 'deadline';
  declare private readonly handle: (error: unknown) => boolean;
  declare private readonly clock: Clock;
  /** The limit and the service time: what the answers teach. */
  declare private readonly controller: LimitController;
  /** Who runs when under that limit: slots, waiting room, pauses, pace. */
  declare private readonly dispatcher: Dispatcher;

  constructor(options: AdaptiveConcurrencyOptions = {}) {
    const settings = adaptiveConcurrencySettings(options);
    super(settings.name);
    this.minLimit = settings.minLimit;
    this.maxLimit = settings.maxLimit;
    this.backoffRatio = settings.backoffRatio;
    this.maxWait = settings.maxWait;
    this.maxQueue = settings.maxQueue;
    this.initialRtt = settings.initialRtt;
    this.maxPause = settings.maxPause;
    this.backlogOrder = settings.backlogOrder;
    this.handle = settings.handle;
    this.clock = settings.clock;
    this.controller = new LimitController(settings);
    this.dispatcher = new Dispatcher(settings, this.controller, this.events);
  }

  /** The concurrency limit now. */
  get limit(): number {
    return this.controller.limit;
  }

  /** Slots taken now (running calls and refused calls holding theirs). */
  get inFlight(): number {
    return this.dispatcher.slotsTaken(this.clock.now());
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.dispatcher.queued;
  }

  /** The current limit, service time and counters, as a snapshot (a new object on every call). */
  stats(): AdaptiveConcurrencyStats {
    const now = this.clock.now();
    return {
      limit: this.controller.limit,
      inFlight: this.dispatcher.slotsTaken(now),
      queued: this.dispatcher.queued,
      rtt: this.controller.serviceTime.smoothed,
      paused: this.dispatcher.isPaused(now),
    };
  }

  /** Listens to limit changes; the same as `on('limitChange', listener)`. Returns the remover. */
  onLimitChange(listener: (event: LimitChangeEvent) => void): Unsubscribe {
    if (typeof listener !== 'function')
      throw new InvalidOptionError(
        'listener',
        `onLimitChange(listener): expected a function, got ${describe(listener)}`,
      );
    return this.on('limitChange', listener);
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    const now = this.clock.now();
    // A retry continues a call this limit admitted: it is not queued behind new calls again, nor starved by the
    // limit its own refusals lowered (its backoff already spaces it out).
    if (context.attempt > 0 && this.dispatcher.admitRetry(now)) return this.run(context, next, now);
    if (this.dispatcher.admit(now)) return this.run(context, next, now);
    return this.enqueue(context, next);
  }

  /** Work a layer inside left running when it answered its caller keeps a slot until it settles. */
  [HOLD](work: Promise<unknown>): void {
    this.dispatcher.take();
    work.then(this.releaseHeld, this.releaseHeld);
  }

  private readonly releaseHeld = (): void => {
    this.dispatcher.release();
  };

  /** Runs a call whose slot is already taken, then learns from its outcome and frees (or holds) the slot. */
  private async run(context: Ctx, next: Next, arrived: number): Promise<unknown> {
    const sent = this.clock.now();
    const epoch = this.controller.epoch;
    const used = this.dispatcher.slotsTaken(sent);
    let value: unknown;
    try {
      value = await next(context);
    } catch (error) {
      if (!context.aborted && this.handle(error)) this.refused(error, sent, epoch);
      else this.dispatcher.release();
      this.reportFailure(this.clock, error, arrived);
      throw error;
    }
    const from = this.controller.limit;
    this.controller.succeeded(this.clock.now() - sent, used);
    if (this.controller.limit !== from) this.limitChanged(from, 'increase', undefined);
    this.dispatcher.release();
    this.reportSuccess(this.clock, arrived);
    return value;
  }

  /**
   * An overload signal: the limit backs off (once per episode), a delay hint pauses every dispatch (at most
   * `maxPause`), and the call's slot stays taken for the rest of a service time.
   */
  private refused(error: unknown, sent: number, epoch: number): void {
    const now = this.clock.now();
    const from = this.controller.limit;
    this.controller.overloaded(epoch, this.dispatcher.slotsTaken(now));
    if (this.controller.limit !== from) this.limitChanged(from, 'decrease', error);
    const hint = this.maxPause > 0 ? retryAfterOf(error) : undefined;
    if (hint !== undefined && hint > 0) this.dispatcher.pause(Math.min(hint, this.maxPause));
    const hold = this.controller.holdFor(now - sent);
    if (hold > 0) this.dispatcher.hold(now, hold);
    else this.dispatcher.release();
  }

  private limitChanged(from: number, reason: LimitChangeReason, error: unknown): void {
    if (!this.listens('limitChange')) return;
    const to = this.controller.limit;
    const event: LimitChangeEvent =
      error === undefined
        ? { policy: this.name, from, to, reason }
        : { policy: this.name, from, to, reason, error };
    this.events.emit('limitChange', event);
  }

  private async enqueue(context: Ctx, next: Next): Promise<unknown> {
    const arrived = this.clock.now();
    try {
      await this.dispatcher.wait(context, arrived);
    } catch (reason) {
      this.reportFailure(this.clock, reason, arrived);
      throw reason;
    }
    // The slot is ours; the caller may have aborted between the hand-over and now: give it back at once.
    if (context.aborted) {
      this.dispatcher.release();
      this.reportFailure(this.clock, context.reason, arrived);
      throw context.reason;
    }
    return this.run(context, next, arrived);
  }
}

/**
 * Adaptive concurrency limit with a local, paced waiting room (earliest deadline first).
 * Defaults: initial limit 20, min 0.1, max 1000, backoff ratio 0.5, maxWait 60 s, unbounded queue (bounded by
 * maxWait and deadlines), deadline order in a backlog too, initial service time 1 s, delay hints pause dispatching up
 * to 60 s, overload errors (`isOverloadError`: 429, 503, timeouts, local rejections) lower the limit.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function adaptiveConcurrency(options?: AdaptiveConcurrencyOptions): AdaptiveConcurrencyPolicy {
  return new AdaptiveConcurrencyPolicy(options);
}
