import { type Backoff, type BackoffSequence, nextDelay, startSequence } from '../backoff/backoff.js';
import type { Clock, TimerHandle } from '../clock.js';
import { throwDetached } from '../internal/signal-fanout.js';
import type { BreakStats } from './options.js';
import { FAILED, type HealthTracker, SLOW, type WindowStats } from './strategy.js';

/*
 * The circuit's state machine, apart from running calls. Each state is its own small type holding only what means
 * something in it. Every transition makes a new state object, and that object's identity is the *epoch*: a call
 * remembers the state that admitted it, and its outcome counts only while that very object is current.
 *
 * Transitions (anything else is a bug):
 *   closed   -> open       the strategy trips                 closed   -> isolated   isolate()
 *   open     -> halfOpen   the break is over (seen at a call or a read of the state; there are no timers)
 *   halfOpen -> closed     halfOpenSuccesses probes succeeded  halfOpen -> open       more probes failed (or were
 *                                                                                   slow) than halfOpenProbes - halfOpenSuccesses,
 *                                                                                   or maxHalfOpenDuration passed
 *                                                                                   since the first probe (seen at a
 *                                                                                   call, a verdict, a read)
 *   open | halfOpen -> isolated                               isolated -> closed     every isolation released
 *   any      -> closed     reset() (closed -> closed starts a new epoch with fresh counts)
 * with a BreakerControl (control.ts): any but isolated -> open until an instant; open | halfOpen -> closed, held;
 * and, with a CircuitSync (sync.ts), the fleet's state imposed:
 *   closed | halfOpen | open -> open (the fleet's break)      open | halfOpen -> closed (the fleet closed)
 */

/** No time: a half-open state's deadline before its first probe, a timer not to arm. */
export const NEVER = Number.POSITIVE_INFINITY;

/** Calls run; their outcomes feed the strategy's tracker. */
export interface ClosedState {
  readonly kind: 'closed';
}

/**
 * Calls are refused until `until` (clock ms). `cause` is the error that opened the circuit (the refusals' `cause`);
 * undefined when no error did (a result, a slow call, a control, the fleet, a snapshot).
 */
export interface OpenState {
  readonly kind: 'open';
  readonly until: number;
  readonly breaks: BreakSeries;
  readonly cause: unknown;
}

/**
 * Probes run, up to the probe slots; `successes` and `failures` count the probe verdicts of this half-open state
 * (each fills its slot for good).
 */
export interface HalfOpenState {
  readonly kind: 'halfOpen';
  successes: number;
  failures: number;
  /**
   * With `maxHalfOpenDuration`: when the probes' time is up (clock ms), set when the first probe is admitted;
   * Infinity before that, and without the option.
   */
  deadline: number;
  readonly breaks: BreakSeries;
  /** The open state's `cause`, kept for the refusals of a busy half-open circuit. */
  readonly cause: unknown;
}

/** Held open by `isolate()` until every handle is released. */
export interface IsolatedState {
  readonly kind: 'isolated';
  readonly breaks: BreakSeries;
}

export type BreakerState = ClosedState | OpenState | HalfOpenState | IsolatedState;

/** The states that admit calls: a closed call, or a probe. */
export type AdmittingState = ClosedState | HalfOpenState;

/**
 * What a finished call says about the dependency, as the bits a count window stores: `OK`, `FAILED`, `SLOW` or
 * `FAILED | SLOW`.
 */
export type CallOutcome = number;
export const OK = 0;
export { FAILED, SLOW };

/**
 * A probe's success that did not close the circuit here, handed to the fleet (a CircuitSync's permit that counts
 * successes): the fleet closes every process once `halfOpenProbes` probes succeeded fleet-wide.
 */
export interface FleetVerdict {
  shareSuccess(): void;
}

/** Told of every transition, after it happened. `error` is the failure that opened the circuit, if an error did. */
export type TransitionListener = (from: BreakerState, to: BreakerState, error: unknown) => void;

/**
 * The breaks in a row since the circuit last closed, and their durations: a fixed `halfOpenAfter`, or the
 * successive delays of a Backoff (growing while probes keep failing). Shared by the states of one series of breaks
 * (open, half-open, open again...); a closed circuit starts a new one.
 */
export class BreakSeries {
  private durations: BackoffSequence | undefined = undefined;

  constructor(
    private readonly halfOpenAfter: number | Backoff,
    private taken: number,
  ) {}

  /** Breaks taken so far. */
  get count(): number {
    return this.taken;
  }

  /** Takes the next break and returns its duration (ms). */
  next(): number {
    const after = this.halfOpenAfter;
    let duration: number;
    if (typeof after === 'number') duration = after;
    else {
      if (this.durations === undefined) {
        this.durations = startSequence(after, undefined, 'halfOpenAfter');
        // A series restored from a snapshot continues its growth where the saved breaker was.
        for (let i = 0; i < this.taken; i++) this.durations.next();
      }
      // A misbehaving custom backoff lands on its cap, never on a NaN or negative break.
      duration = nextDelay(this.durations, after.maxDelay);
    }
    this.taken++;
    return duration;
  }
}

/** The longest break a `halfOpenAfter` can give. */
export function longestBreak(halfOpenAfter: number | Backoff): number {
  return typeof halfOpenAfter === 'number' ? halfOpenAfter : halfOpenAfter.maxDelay;
}

export interface CircuitConfig {
  readonly halfOpenAfter: number | Backoff;
  /** The `breakDuration` option: each break from the failure statistics. */
  readonly breakDuration?: ((stats: BreakStats) => number) | undefined;
  readonly halfOpenProbes: number;
  /** The longest time (ms) probes have to decide, from the first probe's admission; undefined: no limit. */
  readonly maxHalfOpenDuration?: number | undefined;
  /** The `autoHalfOpen` option: an open state's end (and a half-open state's deadline) on a timer. */
  readonly autoHalfOpen?: boolean;
  /** Probe successes that close a half-open circuit (<= halfOpenProbes; the rest may fail). Default halfOpenProbes. */
  readonly halfOpenSuccesses?: number;
  /** The strategy's counters (cleared on every transition: outcomes only matter while closed). */
  readonly tracker: HealthTracker;
  readonly clock: Clock;
  readonly onTransition: TransitionListener;
  /**
   * Told when the strategy decides to open a closed circuit, before the transition; a circuit held closed tells it
   * once per hold.
   */
  readonly onExceeded?: (stats: WindowStats) => void;
}

/**
 * One breaker's state and its transitions. Runs no call, and holds no timer but `autoHalfOpen`'s: one at most,
 * unref'd (no caller waits for it), armed at an open state's end or a half-open state's deadline, cleared by every
 * other transition.
 */
export class Circuit {
  private current: BreakerState = { kind: 'closed' };
  /** Whether transitions at a state's end are timed (`autoHalfOpen`, until `stopTimer`). */
  private timed: boolean;
  private timer: TimerHandle | undefined = undefined;
  /** Held closed by a BreakerControl: outcomes are still counted, but nothing opens the circuit. */
  heldClosed = false;
  /** The strategy's decision to open was reported during this hold (reported once per hold). */
  heldExceeded = false;
  /**
   * Probe slots taken: probes whose function is still running, whatever state the circuit is in now. A slot stays
   * taken until the function really settles, so no more than halfOpenProbes real probes ever run at once.
   */
  private probesRunning = 0;
  private readonly tracker: HealthTracker;
  /** Probe successes that close a half-open circuit. */
  private readonly successesToClose: number;
  /** Failed (or slow) probes a half-open circuit tolerates. */
  private readonly failuresTolerated: number;

  constructor(readonly config: CircuitConfig) {
    this.tracker = config.tracker;
    this.successesToClose = config.halfOpenSuccesses ?? config.halfOpenProbes;
    this.failuresTolerated = config.halfOpenProbes - this.successesToClose;
    this.timed = config.autoHalfOpen === true;
  }

  /** Clears the timer for good (the breaker's `dispose()`): transitions are then seen at calls and reads only. */
  stopTimer(): void {
    this.timed = false;
    this.schedule(NEVER);
  }

  /** Times the next refresh for `at` (clock ms), replacing the timer armed before; Infinity: none. */
  private schedule(at: number): void {
    const clock = this.config.clock;
    if (this.timer !== undefined) clock.clearTimer(this.timer);
    this.timer =
      this.timed && at !== NEVER ? clock.setTimer(this.due, at - clock.now(), { unref: true }) : undefined;
  }

  private readonly due = (): void => {
    this.timer = undefined;
    this.refresh();
  };

  /** The current state, as last left: an open circuit whose break is over is still open here (see `refresh`). */
  get state(): BreakerState {
    return this.current;
  }

  /** Probes whose function still runs. */
  get probes(): number {
    return this.probesRunning;
  }

  /**
   * The current state after moving an open circuit whose break is over to half-open, and a half-open one whose
   * probes ran out of time (`maxHalfOpenDuration`) back to open.
   */
  refresh(): BreakerState {
    const state = this.current;
    if (state.kind === 'open') {
      return this.config.clock.now() >= state.until ? this.halfOpen(state) : state;
    }
    if (state.kind === 'halfOpen' && this.outOfTime(state)) this.open(state, undefined, state.cause);
    return this.current;
  }

  /** Whether a half-open state's probes ran out of time (never without `maxHalfOpenDuration`). */
  private outOfTime(state: HalfOpenState): boolean {
    return this.config.clock.now() >= state.deadline;
  }

  /** open -> halfOpen (the caller saw the break is over). */
  halfOpen(from: OpenState): HalfOpenState {
    const to: HalfOpenState = {
      kind: 'halfOpen',
      successes: 0,
      failures: 0,
      deadline: NEVER,
      breaks: from.breaks,
      cause: from.cause,
    };
    this.enter(to, undefined);
    return to;
  }

  /** Any state -> closed, with fresh counts and no break behind it. */
  close(): void {
    this.enter({ kind: 'closed' }, undefined);
  }

  /** Any state but isolated -> isolated (an isolated circuit stays as it is). */
  isolate(): void {
    const from = this.current;
    if (from.kind === 'isolated') return;
    this.enter({ kind: 'isolated', breaks: this.breaksAfter(from) }, undefined);
  }

  /**
   * Counts a finished call in the state that admitted it, if that state is still current (else it counts for
   * nothing). Closed: the strategy may open the circuit. Half-open: it closes at `halfOpenSuccesses` successful
   * probes, and reopens as soon as more probes failed (or were slow) than `halfOpenProbes - halfOpenSuccesses`. `now` matters only to a strategy that needs the time; `error` is the
   * failure, if an error (it goes with the transition it causes).
   */
  record(
    admittedIn: BreakerState,
    outcome: CallOutcome,
    now: number,
    error: unknown,
    fleet?: FleetVerdict,
  ): void {
    if (admittedIn !== this.current) return;
    if (admittedIn.kind === 'closed') {
      if (this.tracker.record((outcome & FAILED) !== 0, (outcome & SLOW) !== 0, now)) {
        this.open(admittedIn, error);
      }
    } else if (admittedIn.kind === 'halfOpen') {
      // A verdict after the probes' time is up comes too late: the circuit reopens, as it would have at the deadline.
      if (this.outOfTime(admittedIn)) this.open(admittedIn, undefined, admittedIn.cause);
      // A slow probe means the dependency has not recovered either.
      else if (outcome !== OK) {
        if (++admittedIn.failures > this.failuresTolerated) this.open(admittedIn, error);
      } else if (++admittedIn.successes >= this.successesToClose) this.close();
      // Not enough successes here: the fleet counts this one with the other processes' (closing everywhere at N).
      else if (fleet !== undefined) fleet.shareSuccess();
    }
  }

  /** `record(closed, OK, now, undefined)` for the breaker's hot path: a closed call's plain success. */
  recordClosedSuccess(admittedIn: ClosedState, now: number): void {
    if (admittedIn === this.current && this.tracker.record(false, false, now))
      this.open(admittedIn, undefined);
  }

  /** Takes a probe slot in `state` if one is free (probes running and probes judged both fill one). */
  takeProbeSlot(state: HalfOpenState): boolean {
    const { halfOpenProbes, maxHalfOpenDuration } = this.config;
    if (this.probesRunning + state.successes + state.failures >= halfOpenProbes) return false;
    this.probesRunning++;
    // The probes' time starts with the first of them (an idle half-open circuit waits for callers, untimed).
    if (maxHalfOpenDuration !== undefined && state.deadline === NEVER) {
      state.deadline = this.config.clock.now() + maxHalfOpenDuration;
      this.schedule(state.deadline);
    }
    return true;
  }

  /** Takes one more probe slot for probe work left running below a probe (see the breaker's HOLD), free or not. */
  holdProbeSlot(): void {
    this.probesRunning++;
  }

  /** A probe's function settled: its slot is free, whatever state the circuit is in now. */
  freeProbeSlot(): void {
    this.probesRunning--;
  }

  /**
   * Any state but isolated -> open until `until`, after `breaks` breaks in a row, without taking a break of its own:
   * the fleet's break, imposed by a CircuitSync. An open circuit takes the new break (open -> open: a new epoch).
   */
  openFor(until: number, breaks: number): void {
    const from = this.current;
    if (from.kind === 'isolated' || this.heldClosed) return;
    const series =
      from.kind !== 'closed' && from.breaks.count === breaks
        ? from.breaks
        : new BreakSeries(this.config.halfOpenAfter, breaks);
    this.enter({ kind: 'open', until, breaks: series, cause: undefined }, undefined);
  }

  /**
   * Closed or half-open -> open for `durationMs`, a break an outcome carried (the breaker's `breakFor`), counted as
   * the next break of the series, if `admittedIn` is still current.
   */
  openCarried(admittedIn: AdmittingState, durationMs: number, error: unknown): void {
    if (admittedIn !== this.current || this.heldClosed) return;
    const breaks = this.breaksAfter(admittedIn);
    breaks.next(); // the series moves on (a Backoff's next break grows), but this break lasts what it carried
    this.enter({ kind: 'open', until: this.config.clock.now() + durationMs, breaks, cause: error }, error);
  }

  /** Starts in a restored state (at construction): no transition, no listener call. */
  restore(state: BreakerState): void {
    this.current = state;
    if (state.kind === 'open') this.schedule(state.until);
  }

  /** closed | halfOpen -> open for the next break; `cause` is the refusals' cause (default: `error`). */
  private open(from: AdmittingState, error: unknown, cause: unknown = error): void {
    let calls: number;
    let failures: number;
    if (from.kind === 'closed') {
      const stats = this.tracker.stats();
      const held = this.heldClosed;
      // With a control holding it closed, the strategy's decision is only reported (once per hold).
      if (!held || !this.heldExceeded) this.config.onExceeded?.(stats);
      this.heldExceeded = held;
      if (held) return;
      calls = stats.calls;
      failures = stats.failures;
    } else {
      failures = from.failures;
      calls = failures + from.successes;
    }
    const breaks = this.breaksAfter(from);
    const duration = this.nextBreak(breaks, calls, failures);
    this.enter({ kind: 'open', until: this.config.clock.now() + duration, breaks, cause }, error);
  }

  /**
   * Takes the next break of the series: `halfOpenAfter`'s, or the `breakDuration` option's from the statistics
   * (falling back to `halfOpenAfter`'s when it answers anything but a finite number >= 0, or throws).
   */
  private nextBreak(breaks: BreakSeries, calls: number, failures: number): number {
    const base = breaks.next();
    const generate = this.config.breakDuration;
    if (generate === undefined) return base;
    let ms: unknown;
    try {
      ms = generate({
        calls,
        failures,
        failureRatio: calls > 0 ? failures / calls : 0,
        breaks: breaks.count,
        halfOpenAttempts: breaks.count - 1,
        halfOpenAfter: base,
      });
    } catch (error) {
      throwDetached(error);
      return base;
    }
    return typeof ms === 'number' && ms >= 0 && ms !== NEVER ? ms : base;
  }

  /** A closed circuit has no break behind it: its next break starts a new series. */
  private breaksAfter(from: Exclude<BreakerState, IsolatedState>): BreakSeries {
    return from.kind === 'closed' ? new BreakSeries(this.config.halfOpenAfter, 0) : from.breaks;
  }

  private enter(to: BreakerState, error: unknown): void {
    const from = this.current;
    this.current = to;
    // Outcomes only matter while closed, and a closed circuit always starts afresh.
    this.tracker.clear();
    this.schedule(to.kind === 'open' ? to.until : NEVER);
    this.config.onTransition(from, to, error);
  }
}
