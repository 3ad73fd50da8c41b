import type { Clock, TimerOptions } from '../../clock.js';
import { ThrottledError } from '../../errors.js';
import type { PolicyEmitter, RejectionReason } from '../../events.js';
import type { Ctx } from '../../internal/context.js';
import type { GiveUp } from '../../internal/queued-waiter.js';
import type { LimitController } from '../limit-controller.js';
import type { AdaptiveConcurrencySettings } from '../options.js';
import { HeldSlots } from './held-slots.js';
import { WaitingRoom } from './waiting-room.js';
import { WakeTimer } from './wake-timer.js';
import { Waiter } from './waiter.js';

/** Dispatch credit a waiting call may use to catch up with the pace, in service times. */
const PACE_CREDIT = 0.25;
/** The queue is backlogged once its oldest call has waited this many service times. */
const BACKLOG_SERVICE_TIMES = 2;

/**
 * Who runs when, under the limit its LimitController sets: the slots taken (running calls, work left behind, the
 * held slots of refused calls), the waiting room, pauses from delay hints and the pace at which waiting calls
 * leave. It reads the controller and never moves the limit itself.
 *
 * - Waiting calls leave paced, one per (service time / limit), so slots freed together never become a burst;
 *   a limit below 1 paces every call. They leave earliest deadline first (or, with `backlogOrder`
 *   'newestFirst', newest first once the queue is backlogged).
 * - A waiting call leaves with `ThrottledError` when `maxWait` or its deadline passes, or, when its turn comes,
 *   if less than the likely service time remains before its deadline. The caller's abort rejects at once with the
 *   caller's reason.
 * - While calls wait, one timer wakes the room when the pace, a pause or a held slot lets the next one go; it keeps
 *   the process alive (unless `unref`). Nobody waiting, no such timer: a pause is a time compared when the next
 *   call comes, and a held slot's own timer is unref'd (it only frees the slot on time).
 */
export class Dispatcher {
  declare private readonly clock: Clock;
  declare private readonly timerOptions: TimerOptions | undefined;
  /** Slots taken: running calls, work left behind, and held slots until released. */
  private active = 0;
  declare private readonly held: HeldSlots;
  private readonly room = new WaitingRoom<Waiter>();
  private seq = 0;
  private pausedUntil = 0;
  /** The pace's reference point: the next dispatch is due one interval (service time / limit) after it. */
  private paceBase = Number.NEGATIVE_INFINITY;
  /** Wakes the waiting room when the next waiter may go; armed only while somebody waits. */
  declare private readonly wake: WakeTimer;

  constructor(
    private readonly settings: AdaptiveConcurrencySettings,
    private readonly controller: LimitController,
    private readonly events: PolicyEmitter,
  ) {
    this.clock = settings.clock;
    this.timerOptions = settings.timerOptions;
    this.held = new HeldSlots(this.clock, this.holdOver);
    this.wake = new WakeTimer(this.clock, this.timerOptions, this.onWake);
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.room.size;
  }

  /** Slots taken at `now`: gives back the held slots whose time has come. */
  slotsTaken(now: number): number {
    if (this.held.size > 0) this.active -= this.held.releaseDue(now);
    return this.active;
  }

  isPaused(now: number): boolean {
    return now < this.pausedUntil;
  }

  /**
   * Takes a slot for a new call if it may go at once: a free slot with nobody waiting. A waiter ahead means no free
   * slot (a freed slot is handed over at once) or a pause or the pace holding everyone back: it must queue behind
   * it. Below a limit of 1, calls are spaced out in time even when none is running.
   */
  admit(now: number): boolean {
    if (
      this.room.size === 0 &&
      this.canDispatch(now) &&
      (this.controller.limit >= 1 || now >= this.nextPace())
    ) {
      this.active++;
      this.paced(now);
      return true;
    }
    return false;
  }

  /**
   * Admits a retry at once when nobody waits and no pause holds dispatches: into a slot a refused call holds
   * (usually its own refused attempt's: the call keeps its slot instead of taking a second one) if the slots in
   * use stay within the limit, else into a free slot, without the pace (its backoff spaced it out already).
   * Under load (a queue, or running calls filling the limit) it waits like any call: in the overload storm of
   * the benchmarks, letting retries go ahead of the queue completed ~5 % fewer calls.
   */
  admitRetry(now: number): boolean {
    if (this.room.size > 0 || this.isPaused(now)) return false;
    const slots = this.controller.slots;
    const taken = this.slotsTaken(now);
    if (taken <= slots && this.held.size > 0) {
      this.held.takeOver();
    } else if (taken >= slots) {
      return false;
    } else {
      this.active++;
    }
    this.paced(now);
    return true;
  }

  /** Takes a slot without asking: for work left running by a layer inside, which holds it until it settles. */
  take(): void {
    this.active++;
  }

  /** Frees a slot and hands it to the next waiter. */
  release(): void {
    this.active--;
    this.drain();
  }

  /** Keeps a refused call's slot taken for `ms` (> 0) from `now`; a waiter gets it when its time comes. */
  hold(now: number, ms: number): void {
    this.held.hold(now, ms);
    // Whoever waits for this slot now waits for the hold: the room's own timer (which keeps the process alive)
    // must wake them then (with nobody waiting, the drain only finds the room empty).
    this.drain();
  }

  /**
   * Pauses every dispatch for `ms` from now (a pause ending later already in force is kept). Only a refusal pauses,
   * and it then holds or releases its slot: that drains the waiting room, which wakes it again after the pause.
   */
  pause(ms: number): void {
    const until = this.clock.now() + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    if (this.events.listens('paused'))
      this.events.emit('paused', { policy: this.settings.name, duration: ms });
    // No drain here: the refusal that paused goes on to hold or release its slot, which drains, and the room's
    // timer then waits for the pause too; a call arriving later compares the time itself.
  }

  /**
   * Waits for a slot, which is taken for the caller when the promise resolves; rejects with ThrottledError when the
   * queue is full or the wait cannot or did not end in time, or with the caller's reason when it aborts.
   */
  wait(context: Ctx, arrived: number): Promise<void> {
    if (context.aborted) return Promise.reject(context.reason);
    const { maxQueue, maxWait } = this.settings;
    if (this.room.size >= maxQueue) return Promise.reject(this.rejection('throttled', 'the queue is full'));
    const deadline = context.deadline ?? Number.POSITIVE_INFINITY;
    const patience = Math.min(maxWait, deadline - arrived);
    if (patience <= 0) return Promise.reject(this.rejection('queueTimeout', 'no time left to wait'));
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter(deadline, this.seq++, arrived, resolve, reject);
      if (this.events.listens('queued')) {
        const delay = this.expectedWait(arrived);
        const position = this.room.size;
        const policy = this.settings.name;
        this.events.emit('queued', delay === undefined ? { policy, position } : { policy, position, delay });
      }
      this.room.push(waiter);
      waiter.guard(context, patience, this.clock, this.timerOptions, this.giveUp);
      // Nobody waited, so nothing wakes the room yet: make sure someone wakes this waiter.
      if (!this.wake.armed) this.drain();
    });
  }

  /** Calls that may run at once: floor(limit), at least 1 (a fractional limit below 1 is enforced by pacing). */
  private canDispatch(now: number): boolean {
    return this.slotsTaken(now) < this.controller.slots && !this.isPaused(now);
  }

  private readonly holdOver = (): void => {
    this.slotsTaken(this.clock.now());
    this.drain();
  };

  /**
   * Hands free slots to the waiters (earliest deadline first, or newest first in a backlog when so configured),
   * shedding those that can no longer finish.
   */
  private drain(): void {
    if (this.room.size === 0) {
      this.wake.stop();
      return;
    }
    let now = this.clock.now();
    while (this.room.size > 0) {
      if (this.slotsTaken(now) >= this.controller.slots) {
        // A running call's release drains again; a held slot comes back at a known time.
        const release = this.held.nextRelease;
        if (release !== undefined) this.wake.at(release, now);
        return;
      }
      if (this.isPaused(now)) {
        this.wake.at(this.pausedUntil, now);
        return;
      }
      const due = this.nextPace();
      if (now < due) {
        this.wake.at(due, now);
        return;
      }
      const waiter = this.room.shift(this.backlogged(now))!;
      waiter.detach(this.clock);
      if (waiter.deadline - now < this.controller.serviceTime.likely) {
        waiter.reject(this.rejection('throttled', 'too little time left before its deadline to be served'));
        now = this.clock.now();
        continue;
      }
      this.active++;
      this.paced(now);
      waiter.resolve();
    }
    this.wake.stop();
  }

  private backlogged(now: number): boolean {
    return (
      this.settings.backlogOrder === 'newestFirst' &&
      now - this.room.oldestArrival > BACKLOG_SERVICE_TIMES * this.controller.serviceTime.current
    );
  }

  /**
   * Waiting calls leave at the pace the limit sustains (one per service time / limit), catching up on at most a
   * quarter of a service time: slots freed together (a stall, a batch of answers) do not become a burst the
   * dependency would refuse, and a late timer costs no throughput.
   */
  private paced(now: number): void {
    this.paceBase = Math.max(this.nextPace(), now - this.controller.serviceTime.current * PACE_CREDIT);
  }

  /** When the next waiting call may leave, from the service time and limit now (they may have changed). */
  private nextPace(): number {
    return this.paceBase + this.controller.paceInterval;
  }

  private readonly onWake = (): void => {
    this.drain();
  };

  /**
   * How long a call that starts waiting now will wait, when only timers hold it back: a pause, slots refused calls
   * hold, the pace. Undefined when others wait ahead of it or running calls fill the limit (then it depends on
   * when they finish).
   */
  private expectedWait(now: number): number | undefined {
    if (this.room.size > 0) return undefined;
    const slots = this.controller.slots;
    const taken = this.slotsTaken(now);
    if (taken - this.held.size >= slots) return undefined;
    let at = Math.max(now, this.pausedUntil, this.nextPace());
    const mustRelease = taken - slots + 1;
    if (mustRelease > 0) at = Math.max(at, this.held.releaseTime(mustRelease));
    return at - now;
  }

  /** A waiter gives up: the last one to leave takes the room's timer with it. */
  private readonly giveUp: GiveUp<Waiter> = {
    leave: (waiter) => {
      this.room.remove(waiter);
      waiter.detach(this.clock);
      if (this.room.size === 0) this.wake.stop();
    },
    timedOut: (patience) => this.rejection('queueTimeout', `waited ${patience} ms for a slot`),
  };

  private rejection(reason: RejectionReason, why: string): ThrottledError {
    if (this.events.listens('rejected')) this.events.emit('rejected', { policy: this.settings.name, reason });
    return new ThrottledError(`Request throttled client-side (adaptive concurrency): ${why}`);
  }
}
