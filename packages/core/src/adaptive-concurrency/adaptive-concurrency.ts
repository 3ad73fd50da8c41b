import { isOverloadError } from '../budget/adaptive-throttle.js';
import type { Clock, TimerHandle, TimerOptions } from '../clock.js';
import { InvalidOptionError, retryAfterOf, ThrottledError } from '../errors.js';
import type { LimitChangeEvent, LimitChangeReason, RejectionReason, Unsubscribe } from '../events.js';
import { type Ctx, HOLD, type SlotHolder } from '../internal/context.js';
import { unrefOption } from '../internal/timer-options.js';
import {
  clockOf,
  describe,
  optionalFunction,
  orDefault,
  policyName,
  requireFiniteNonNegative,
  requireInteger,
  requireNonNegativeOrInfinity,
  requireNumberIn,
  requireOneOf,
  requirePositive,
} from '../internal/validate.js';
import { type Next, PolicyBase, RUN } from '../policy.js';
import { DeadlineHeap, type HeapNode } from './deadline-heap.js';
import { type RoomNode, WaitingRoom } from './waiting-room.js';

export interface AdaptiveConcurrencyOptions {
  /**
   * Concurrency limit before anything is known about the dependency. The limit only grows while it is actually
   * used (at least half its slots busy), so an idle client does not build up a limit it never tested.
   * Default 20 (clamped into [minLimit, maxLimit]).
   */
  readonly initialLimit?: number;
  /**
   * Lowest limit (> 0). A limit below 1 means one call at a time, started at most once per (service time /
   * limit): with the default, a dependency refusing everything still gets one probe per ten service times from
   * this client, which is how it notices the dependency is back, while many client processes together do not
   * keep it overloaded. Default 0.1.
   */
  readonly minLimit?: number;
  /** Highest limit (integer >= 1 and >= minLimit, or Infinity). Default 1000. */
  readonly maxLimit?: number;
  /**
   * Multiplicative decrease on an overload signal, in (0, 1): the new limit is this share of the slots in use.
   * Default 0.5 (TCP's). The limit then climbs back quickly towards the level it fell from, and slowly near it.
   */
  readonly backoffRatio?: number;
  /**
   * Longest a call waits for a slot (ms, >= 0 or Infinity). The caller's deadline shortens it; the caller's
   * signal ends it at any time. Default 60 000, like `rateLimit`'s `maxWait`.
   */
  readonly maxWait?: number;
  /** Calls allowed to wait (integer >= 0, or Infinity). Default Infinity: `maxWait` and deadlines bound it. */
  readonly maxQueue?: number;
  /**
   * Which waiting call a free slot goes to once the queue is backlogged (its oldest call has waited more than
   * two service times). 'deadline' (default): earliest deadline first, as when the queue moves, which finishes
   * the most calls. 'newestFirst': the latest arrival (adaptive LIFO), so calls arriving now stay fast while the
   * stale backlog expires: for callers who give up early (interactive requests), at the cost of completions.
   */
  readonly backlogOrder?: 'newestFirst' | 'deadline';
  /**
   * Service time assumed until a successful call has been timed (ms, > 0): how long a refused call keeps its
   * slot. Default 1 000.
   */
  readonly initialRtt?: number;
  /**
   * Longest dispatch pause (ms, >= 0) that a refusal's delay hint (`retryAfterMs`, e.g. Gemini's RetryInfo on a
   * 429) can impose on every waiting call; 0 ignores hints. Default 60 000.
   */
  readonly maxPause?: number;
  /**
   * Which errors say the dependency is overloaded (429, 503, timeouts...): they lower the limit. Default
   * `isOverloadError`. Any other error is an answer: it neither lowers nor raises the limit.
   */
  readonly handle?: (error: unknown) => boolean;
  /**
   * Let the process exit while calls wait for a slot. Default false: a waiting call's timers (its `maxWait`, the
   * pace, a pause, a refused call's held slot) keep a Node process alive until it is sent or gives up; none is
   * left once nobody waits.
   */
  readonly unref?: boolean;
  readonly clock?: Clock;
  readonly name?: string;
}

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

/** One caller waiting for a slot. */
class Waiter implements RoomNode {
  index = -1;
  older: RoomNode | undefined = undefined;
  newer: RoomNode | undefined = undefined;
  timer: TimerHandle | undefined = undefined;
  unsubscribe: (() => void) | undefined = undefined;

  constructor(
    readonly deadline: number,
    readonly seq: number,
    readonly arrived: number,
    readonly resolve: () => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/** A refused call's slot, held until `deadline` (the heap's key: the earliest release comes first). */
type Hold = HeapNode;

/** A held slot's own timer frees it on time even when nobody waits; it guards nothing, so it is unref'd. */
const UNREF = { unref: true } as const;

/**
 * Smallest growth per round trip (slots): how slowly the limit creeps up to, and past, the level of the last
 * decrease. Refusals per call in a steady overload are about this step / ((1 - backoffRatio) x limit^2), so a
 * small step keeps the probing cheap; past the old level the growth speeds up by itself.
 */
const MIN_STEP = 0.1;
/**
 * Growth per round trip past the level of the last decrease, as a share of the distance already travelled
 * beyond it: 1 doubles it every round trip (slow start from a small step), so capacity that came back is
 * found in a few round trips while the first steps past the old level stay small.
 */
const PROBE_GAIN = 1;
/**
 * Climb per round trip back towards a level the limit overshot to (a probe refused above the level of the decrease
 * before): at most this share of the limit, and at least one slot, like TCP Reno's additive increase. A client
 * that grabbed the capacity while other processes were squeezed gives it back gradually instead of jumping back,
 * so the others catch up and the climbs of many clients do not collide.
 */
const OVERSHOOT_CLIMB_SHARE = 0.1;
/** Dispatch credit a waiting call may use to catch up with the pace, in service times. */
const PACE_CREDIT = 0.25;
/** Weight of a new sample in the smoothed service time (TCP's 1/8). */
const RTT_GAIN = 0.125;
/** Weight of a new sample in the mean deviation of the service time (TCP's 1/4). */
const RTTVAR_GAIN = 0.25;
/** Mean deviations of the service time a waiter must have left, on top of the smoothed service time, to be sent. */
const DEADLINE_MARGIN_DEVIATIONS = 2;
/** The queue is backlogged once its oldest call has waited this many service times. */
const BACKLOG_SERVICE_TIMES = 2;

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
export class AdaptiveConcurrencyPolicy extends PolicyBase<never> implements SlotHolder {
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly backoffRatio: number;
  readonly maxWait: number;
  readonly maxQueue: number;
  readonly initialRtt: number;
  readonly maxPause: number;
  readonly backlogOrder: 'newestFirst' | 'deadline';
  private readonly handle: (error: unknown) => boolean;
  private readonly clock: Clock;
  private current: number;
  /** The limit when the last decrease happened (Infinity before the first: slow start). */
  private lastMax = Number.POSITIVE_INFINITY;
  /** Whether that decrease refused a probe above the level of the decrease before it (see OVERSHOOT_CLIMB_SHARE). */
  private overshot = false;
  /** Incremented by every decrease: a call remembers the epoch it was sent in. */
  private epoch = 0;
  private active = 0;
  private srtt: number | undefined;
  /** Mean deviation of the service time (TCP's RTTVAR), meaningful once srtt is defined. */
  private rttvar = 0;
  private readonly room = new WaitingRoom<Waiter>();
  private seq = 0;
  private pausedUntil = 0;
  /** The pace's reference point: the next dispatch is due one interval (service time / limit) after it. */
  private paceBase = Number.NEGATIVE_INFINITY;
  /** Slots of refused calls, counted in `active` until released (by their timer, or whoever looks first). */
  private readonly holds = new DeadlineHeap<Hold>();
  /** Wakes the waiting room when the next waiter may go; armed only while somebody waits. */
  private wakeTimer: TimerHandle | undefined;
  private wakeDue = 0;
  private readonly timerOptions: TimerOptions | undefined;

  constructor(options: AdaptiveConcurrencyOptions = {}) {
    super(policyName(options, 'adaptiveConcurrency'));
    this.minLimit = requirePositive('minLimit', orDefault(options.minLimit, 0.1));
    this.maxLimit = requireInteger(
      'maxLimit',
      orDefault(options.maxLimit, Math.max(1000, Math.ceil(this.minLimit))),
      1,
      true,
    );
    if (this.maxLimit < this.minLimit) {
      throw new InvalidOptionError(
        'maxLimit',
        `expected at least minLimit (${this.minLimit}), got ${this.maxLimit}`,
      );
    }
    this.current = requireNumberIn(
      'initialLimit',
      orDefault(options.initialLimit, Math.min(Math.max(20, this.minLimit), this.maxLimit)),
      this.minLimit,
      this.maxLimit,
    );
    const ratio = orDefault(options.backoffRatio, 0.5);
    if (typeof ratio !== 'number' || !(ratio > 0 && ratio < 1)) {
      throw new InvalidOptionError('backoffRatio', `expected a number in (0, 1), got ${describe(ratio)}`);
    }
    this.backoffRatio = ratio;
    this.maxWait = requireNonNegativeOrInfinity('maxWait', orDefault(options.maxWait, 60_000));
    this.maxQueue = requireInteger(
      'maxQueue',
      orDefault(options.maxQueue, Number.POSITIVE_INFINITY),
      0,
      true,
    );
    this.initialRtt = requirePositive('initialRtt', orDefault(options.initialRtt, 1_000));
    this.maxPause = requireFiniteNonNegative('maxPause', orDefault(options.maxPause, 60_000));
    this.backlogOrder = requireOneOf('backlogOrder', orDefault(options.backlogOrder, 'deadline'), [
      'newestFirst',
      'deadline',
    ]);
    this.handle = optionalFunction('handle', options.handle) ?? isOverloadError;
    this.timerOptions = unrefOption(options.unref);
    this.clock = clockOf(options.clock);
  }

  /** The concurrency limit now. */
  get limit(): number {
    return this.current;
  }

  /** Slots taken now (running calls and refused calls holding theirs). */
  get inFlight(): number {
    return this.slotsTaken(this.clock.now());
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.room.size;
  }

  stats(): AdaptiveConcurrencyStats {
    const now = this.clock.now();
    return {
      limit: this.current,
      inFlight: this.slotsTaken(now),
      queued: this.room.size,
      rtt: this.srtt,
      paused: this.isPaused(now),
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
    if (context.attempt > 0 && this.admitRetry(now)) {
      this.paced(now);
      return this.run(context, next, now);
    }
    // A free slot with nobody waiting: go. A waiter ahead means no free slot (a freed slot is handed over at
    // once) or a pause or the pace holding everyone back: queue behind it. Below a limit of 1, calls are spaced
    // out in time even when none is running.
    if (this.room.size === 0 && this.canDispatch(now) && (this.current >= 1 || now >= this.nextPace())) {
      this.active++;
      this.paced(now);
      return this.run(context, next, now);
    }
    return this.enqueue(context, next);
  }

  /** Runs a call whose slot is already taken, then learns from its outcome and frees (or holds) the slot. */
  private async run(context: Ctx, next: Next, arrived: number): Promise<unknown> {
    const sent = this.clock.now();
    const epoch = this.epoch;
    const used = this.slotsTaken(sent);
    let value: unknown;
    try {
      value = await next(context);
    } catch (error) {
      if (!context.aborted && this.handle(error)) this.refused(error, sent, epoch);
      else this.release();
      this.reportFailure(this.clock, error, arrived);
      throw error;
    }
    this.succeeded(sent, used);
    this.release();
    this.reportSuccess(this.clock, arrived);
    return value;
  }

  private succeeded(sent: number, used: number): void {
    const sample = this.clock.now() - sent;
    if (this.srtt === undefined) {
      this.srtt = sample;
      this.rttvar = sample / 2;
    } else {
      this.rttvar += (Math.abs(sample - this.srtt) - this.rttvar) * RTTVAR_GAIN;
      this.srtt += (sample - this.srtt) * RTT_GAIN;
    }
    // Only a limit that was in use has been tested: an app-limited client must not inflate it.
    if (used < this.current / 2 || this.current >= this.maxLimit) return;
    this.setLimit(Math.min(this.maxLimit, this.current + this.step() / this.current), 'increase', undefined);
  }

  /**
   * Growth per round trip (a success adds step / limit, and a round trip brings about `limit` successes): slow
   * start (+limit) before any decrease; then a binary search towards the level of the last decrease (half the
   * gap; at most a tenth of the limit, and at least one slot, when that level was an overshoot), creeping by
   * MIN_STEP near it, and past it a probe that starts at MIN_STEP and speeds up the longer the new level holds
   * (the distance travelled beyond it, at most half the limit): few refusals near the known capacity, quick
   * discovery of new capacity.
   */
  private step(): number {
    const limit = this.current;
    if (this.lastMax === Number.POSITIVE_INFINITY) return limit;
    const gap = this.lastMax - limit;
    if (gap > 0) {
      const climb = Math.min(Math.max(MIN_STEP, gap / 2), limit);
      return this.overshot ? Math.min(climb, Math.max(1, limit * OVERSHOOT_CLIMB_SHARE)) : climb;
    }
    return Math.min(Math.max(MIN_STEP, -gap * PROBE_GAIN), Math.max(1, limit / 2));
  }

  private refused(error: unknown, sent: number, epoch: number): void {
    const now = this.clock.now();
    if (epoch === this.epoch) {
      // The first signal about calls sent at the current limit: back off from what was actually in use.
      const inUse = this.slotsTaken(now);
      const target = Math.max(this.minLimit, Math.min(this.current, inUse) * this.backoffRatio);
      this.epoch++;
      this.overshot = this.current > this.lastMax;
      this.lastMax = this.current;
      this.setLimit(target, 'decrease', error);
    }
    const hint = this.maxPause > 0 ? retryAfterOf(error) : undefined;
    if (hint !== undefined && hint > 0) this.pause(Math.min(hint, this.maxPause));
    const hold = (this.srtt ?? this.initialRtt) - (now - sent);
    if (hold <= 0) {
      this.release();
      return;
    }
    this.holds.push({ deadline: now + hold, seq: this.seq++, index: -1 });
    this.clock.setTimer(this.holdOver, hold, UNREF);
    // Whoever waits for this slot now waits for the hold: the room's own timer (which keeps the process alive)
    // must wake them then.
    if (this.room.size > 0) this.drain();
  }

  /**
   * Admits a retry at once when nobody waits and no pause holds dispatches: into a slot a refused call holds
   * (usually its own refused attempt's: the call keeps its slot instead of taking a second one) if the slots in
   * use stay within the limit, else into a free slot, without the pace (its backoff spaced it out already).
   * Under load (a queue, or running calls filling the limit) it waits like any call: in the overload storm of
   * the benchmarks, letting retries go ahead of the queue completed ~5 % fewer calls.
   */
  private admitRetry(now: number): boolean {
    if (this.room.size > 0 || this.isPaused(now)) return false;
    const slots = Math.max(1, Math.floor(this.current));
    const taken = this.slotsTaken(now);
    if (taken <= slots && this.holds.size > 0) {
      // The slot stays taken, now by this retry; the hold's own timer finds nothing to release.
      this.holds.shift();
      return true;
    }
    if (taken >= slots) return false;
    this.active++;
    return true;
  }

  private readonly holdOver = (): void => {
    this.releaseHolds(this.clock.now());
    this.drain();
  };

  /** Slots taken at `now`: gives back the held slots whose time has come. */
  private slotsTaken(now: number): number {
    if (this.holds.size > 0) this.releaseHolds(now);
    return this.active;
  }

  private releaseHolds(now: number): void {
    for (let hold = this.holds.peek(); hold !== undefined && hold.deadline <= now; hold = this.holds.peek()) {
      this.holds.shift();
      this.active--;
    }
  }

  private setLimit(to: number, reason: LimitChangeReason, error: unknown): void {
    const from = this.current;
    if (to === from) return;
    this.current = to;
    if (!this.listens('limitChange')) return;
    const event: LimitChangeEvent =
      error === undefined
        ? { policy: this.name, from, to, reason }
        : { policy: this.name, from, to, reason, error };
    this.events.emit('limitChange', event);
  }

  private pause(ms: number): void {
    const until = this.clock.now() + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    if (this.listens('paused')) this.events.emit('paused', { policy: this.name, duration: ms });
    // Only waiting calls need waking when it ends; a call arriving later compares the time itself.
    if (this.room.size > 0) this.drain();
  }

  private isPaused(now: number): boolean {
    return now < this.pausedUntil;
  }

  /** Calls that may run at once: floor(limit), at least 1 (a fractional limit below 1 is enforced by pacing). */
  private canDispatch(now: number): boolean {
    return this.slotsTaken(now) < Math.max(1, Math.floor(this.current)) && !this.isPaused(now);
  }

  private readonly releaseHeld = (): void => {
    this.release();
  };

  /** @internal Work a layer inside left running when it answered its caller keeps a slot until it settles. */
  [HOLD](work: Promise<unknown>): void {
    this.active++;
    work.then(this.releaseHeld, this.releaseHeld);
  }

  private release(): void {
    this.active--;
    this.drain();
  }

  /**
   * Hands free slots to the waiters (earliest deadline first, or newest first in a backlog when so configured),
   * shedding those that can no longer finish.
   */
  private drain(): void {
    if (this.room.size === 0) {
      this.stopWake();
      return;
    }
    let now = this.clock.now();
    while (this.room.size > 0) {
      if (this.slotsTaken(now) >= Math.max(1, Math.floor(this.current))) {
        // A running call's release drains again; a held slot comes back at a known time.
        const hold = this.holds.peek();
        if (hold !== undefined) this.wakeAt(hold.deadline, now);
        return;
      }
      if (this.isPaused(now)) {
        this.wakeAt(this.pausedUntil, now);
        return;
      }
      const due = this.nextPace();
      if (now < due) {
        this.wakeAt(due, now);
        return;
      }
      const waiter = this.room.shift(this.backlogged(now))!;
      this.detach(waiter);
      if (waiter.deadline - now < this.likelyServiceTime()) {
        waiter.reject(this.rejection('throttled', 'too little time left before its deadline to be served'));
        now = this.clock.now();
        continue;
      }
      this.active++;
      this.paced(now);
      waiter.resolve();
    }
    this.stopWake();
  }

  /**
   * How long a call sent now will likely take: the smoothed service time plus two mean deviations (0 before any
   * call was timed). A waiter with less time left is not sent: in a backlog the earliest deadlines are served
   * first, so without the margin about half the calls sent would be cut by their deadline on the way, wasting the
   * dependency's capacity and teaching the limit nothing.
   */
  private likelyServiceTime(): number {
    return this.srtt === undefined ? 0 : this.srtt + DEADLINE_MARGIN_DEVIATIONS * this.rttvar;
  }

  private backlogged(now: number): boolean {
    return (
      this.backlogOrder === 'newestFirst' &&
      now - this.room.oldestArrival > BACKLOG_SERVICE_TIMES * (this.srtt ?? this.initialRtt)
    );
  }

  /**
   * Waiting calls leave at the pace the limit sustains (one per service time / limit), catching up on at most a
   * quarter of a service time: slots freed together (a stall, a batch of answers) do not become a burst the
   * dependency would refuse, and a late timer costs no throughput.
   */
  private paced(now: number): void {
    this.paceBase = Math.max(this.nextPace(), now - (this.srtt ?? this.initialRtt) * PACE_CREDIT);
  }

  /** When the next waiting call may leave, from the service time and limit now (they may have changed). */
  private nextPace(): number {
    return this.paceBase + (this.srtt ?? this.initialRtt) / this.current;
  }

  /** Makes sure the room is woken by `due` (an earlier wake-up already armed is kept: it drains again). */
  private wakeAt(due: number, now: number): void {
    if (this.wakeTimer !== undefined) {
      if (this.wakeDue <= due) return;
      this.clock.clearTimer(this.wakeTimer);
    }
    this.wakeDue = due;
    this.wakeTimer = this.clock.setTimer(this.onWake, due - now, this.timerOptions);
  }

  private stopWake(): void {
    if (this.wakeTimer !== undefined) {
      this.clock.clearTimer(this.wakeTimer);
      this.wakeTimer = undefined;
    }
  }

  private readonly onWake = (): void => {
    this.wakeTimer = undefined;
    this.drain();
  };

  private async enqueue(context: Ctx, next: Next): Promise<unknown> {
    const arrived = this.clock.now();
    try {
      await this.waitForSlot(context, arrived);
    } catch (reason) {
      this.reportFailure(this.clock, reason, arrived);
      throw reason;
    }
    // The slot is ours; the caller may have aborted between the hand-over and now: give it back at once.
    if (context.aborted) {
      this.release();
      this.reportFailure(this.clock, context.reason, arrived);
      throw context.reason;
    }
    return this.run(context, next, arrived);
  }

  private waitForSlot(context: Ctx, arrived: number): Promise<void> {
    if (context.aborted) return Promise.reject(context.reason);
    if (this.room.size >= this.maxQueue) {
      return Promise.reject(this.rejection('throttled', 'the queue is full'));
    }
    const deadline = context.deadline ?? Number.POSITIVE_INFINITY;
    const patience = Math.min(this.maxWait, deadline - arrived);
    if (patience <= 0) return Promise.reject(this.rejection('queueTimeout', 'no time left to wait'));
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter(deadline, this.seq++, arrived, resolve, reject);
      if (this.listens('queued')) {
        const delay = this.expectedWait(arrived);
        this.events.emit(
          'queued',
          delay === undefined
            ? { policy: this.name, position: this.room.size }
            : { policy: this.name, position: this.room.size, delay },
        );
      }
      this.room.push(waiter);
      if (patience !== Number.POSITIVE_INFINITY) {
        waiter.timer = this.clock.setTimer(
          () => {
            waiter.timer = undefined;
            this.leave(waiter);
            reject(this.rejection('queueTimeout', `waited ${patience} ms for a slot`));
          },
          patience,
          this.timerOptions,
        );
      }
      if (context.canAbort) {
        waiter.unsubscribe = context.subscribe((reason) => {
          waiter.unsubscribe = undefined;
          this.leave(waiter);
          reject(reason);
        });
      }
      // Nobody waited, so nothing wakes the room yet: make sure someone wakes this waiter.
      if (this.wakeTimer === undefined) this.drain();
    });
  }

  /**
   * How long a call that starts waiting now will wait, when only timers hold it back: a pause, slots refused calls
   * hold, the pace. Undefined when others wait ahead of it or running calls fill the limit (then it depends on
   * when they finish).
   */
  private expectedWait(now: number): number | undefined {
    if (this.room.size > 0) return undefined;
    const slots = Math.max(1, Math.floor(this.current));
    const taken = this.slotsTaken(now);
    if (taken - this.holds.size >= slots) return undefined;
    let at = Math.max(now, this.pausedUntil, this.nextPace());
    const mustRelease = taken - slots + 1;
    if (mustRelease > 0) {
      const releases = this.holds
        .nodes()
        .map((hold) => hold.deadline)
        .sort((a, b) => a - b);
      at = Math.max(at, releases[mustRelease - 1]!);
    }
    return at - now;
  }

  /** A waiter gives up: the last one to leave takes the room's timer with it. */
  private leave(waiter: Waiter): void {
    this.room.remove(waiter);
    this.detach(waiter);
    if (this.room.size === 0) this.stopWake();
  }

  /** Drops what a waiter holds besides its place in the room (timer, abort listener). */
  private detach(waiter: Waiter): void {
    if (waiter.timer !== undefined) {
      this.clock.clearTimer(waiter.timer);
      waiter.timer = undefined;
    }
    const unsubscribe = waiter.unsubscribe;
    if (unsubscribe !== undefined) {
      waiter.unsubscribe = undefined;
      unsubscribe();
    }
  }

  private rejection(reason: RejectionReason, why: string): ThrottledError {
    if (this.listens('rejected')) this.events.emit('rejected', { policy: this.name, reason });
    return new ThrottledError(`Request throttled client-side (adaptive concurrency): ${why}`);
  }
}

/**
 * Adaptive concurrency limit with a local, paced waiting room (earliest deadline first).
 * Defaults: initial limit 20, min 0.1, max 1000, backoff ratio 0.5, maxWait 60 s, unbounded queue (bounded by
 * maxWait and deadlines), deadline order in a backlog too, initial service time 1 s, delay hints pause dispatching up
 * to 60 s, overload errors (`isOverloadError`: 429, 503, timeouts, local rejections) lower the limit.
 */
export function adaptiveConcurrency(options?: AdaptiveConcurrencyOptions): AdaptiveConcurrencyPolicy {
  return new AdaptiveConcurrencyPolicy(options);
}
