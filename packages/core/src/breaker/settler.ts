import type { Clock } from '../clock.js';
import type { PolicyEmitter } from '../events.js';
import type { Ctx } from '../internal/context.js';
import { throwDetached } from '../internal/signal-fanout.js';
import {
  type AdmittingState,
  type CallOutcome,
  type Circuit,
  type ClosedState,
  FAILED,
  type FleetVerdict,
  SLOW,
} from './circuit.js';
import type { ProbeAnswer } from './probes.js';
import type { Verdicts } from './verdicts.js';

/**
 * A closed state's reactions to the outcomes of its calls, shared by every call it admits, so the breaker's hot
 * path allocates nothing per call. Made anew each time the circuit closes: they count for that closed state only.
 */
export interface ClosedReactions {
  /** The closed state they count for. */
  readonly state: ClosedState;
  /** Settle what the caller gets: the value, or the error rethrown. */
  readonly settleValue: (value: unknown) => unknown;
  readonly settleError: (error: unknown) => never;
  /** Count an outcome beside the caller's own await (the caller gets the function's promise unchanged). */
  readonly countValue: (value: unknown) => void;
  readonly countError: (error: unknown) => void;
}

export interface SettlerConfig {
  readonly circuit: Circuit;
  readonly verdicts: Verdicts;
  readonly clock: Clock;
  /** A call lasting at least this long (ms) is slow; undefined: slow calls are not tracked. */
  readonly slowCallDuration: number | undefined;
  /** Whether every counted call needs its end time (time window or slow-call tracking). */
  readonly timeEnds: boolean;
  readonly name: string;
  readonly events: PolicyEmitter;
  /** Emits `failure` (the policy's own report). */
  readonly reportFailure: (error: unknown, started: number | undefined) => void;
}

/**
 * Settles a breaker's finished calls: decides what each outcome counts as, counts it in the state that admitted
 * the call (the circuit ignores a call whose state is over) and reports it to listeners. `started` is the call's
 * start time, or undefined for a call of the hot path, which is not timed.
 */
export class CallSettler {
  private readonly circuit: Circuit;
  private readonly verdicts: Verdicts;
  private readonly clock: Clock;
  private readonly slowCallDuration: number | undefined;
  private readonly timeEnds: boolean;
  private readonly name: string;
  private readonly events: PolicyEmitter;
  private readonly reportFailure: (error: unknown, started: number | undefined) => void;

  constructor(config: SettlerConfig) {
    this.circuit = config.circuit;
    this.verdicts = config.verdicts;
    this.clock = config.clock;
    this.slowCallDuration = config.slowCallDuration;
    this.timeEnds = config.timeEnds;
    this.name = config.name;
    this.events = config.events;
    this.reportFailure = config.reportFailure;
  }

  /** The shared reactions of a closed state's calls (see ClosedReactions). */
  reactionsFor(state: ClosedState): ClosedReactions {
    return {
      state,
      settleValue: (value) => this.settleClosedValue(state, value),
      settleError: (error) => {
        throw this.settleError(state, undefined, error, undefined);
      },
      countValue: (value) => {
        try {
          this.settleClosedValue(state, value);
        } catch (error) {
          throwDetached(error);
        }
      },
      countError: (error) => {
        try {
          this.settleError(state, undefined, error, undefined);
        } catch (thrown) {
          throwDetached(thrown);
        }
      },
    };
  }

  /**
   * Waits for a call's function and settles it. With `answer` (a probe whose caller can abort), an outcome that
   * comes after the caller was answered at its abort is not the caller's any more: a result still counts (the
   * dependency did answer; a success may close the circuit) but is not reported, an error is presumed to be the
   * abort's consequence and counts as nothing.
   */
  async observe(
    admittedIn: AdmittingState,
    started: number,
    work: Promise<unknown>,
    context: Ctx,
    answer: ProbeAnswer | undefined,
    fleet: FleetVerdict | undefined,
  ): Promise<unknown> {
    let value: unknown;
    try {
      value = await work;
    } catch (error) {
      if (answer !== undefined && !answer.claim()) return undefined;
      throw this.settleError(admittedIn, started, error, context);
    }
    if (answer === undefined || answer.claim()) return this.settleValue(admittedIn, started, value, fleet);
    this.countLateValue(admittedIn, started, value, fleet);
    return undefined;
  }

  /**
   * Settles a call that threw; returns what the caller gets: the caller's abort reason when it aborted
   * (`context` is only needed when the caller can abort), else the error. A throwing `handle` is thrown, nothing
   * counted.
   */
  settleError(
    admittedIn: AdmittingState,
    started: number | undefined,
    error: unknown,
    context: Ctx | undefined,
  ): unknown {
    const aborted = context?.aborted === true;
    const reported = aborted ? context!.reason : error;
    // An unhandled error or an abort is neither a success nor a failure, in every state.
    if (!aborted && this.verdicts.counts(error)) {
      const carried = this.verdicts.carriedBreak({ failed: true, error });
      if (carried === undefined) this.count(admittedIn, started, FAILED, error);
      else this.circuit.openCarried(admittedIn, carried, error);
    }
    this.reportFailure(reported, started);
    return reported;
  }

  /**
   * Settles a call that returned a value; returns the value. A throwing predicate is the caller's bug: its error
   * is thrown and nothing counted.
   */
  private settleValue(
    admittedIn: AdmittingState,
    started: number | undefined,
    value: unknown,
    fleet?: FleetVerdict,
  ): unknown {
    const carried = this.verdicts.carriedBreak({ failed: false, value });
    let now: number;
    if (carried === undefined)
      now = this.count(admittedIn, started, this.verdicts.ofValue(value), undefined, fleet);
    else {
      now = started === undefined ? 0 : this.clock.now();
      this.circuit.openCarried(admittedIn, carried, undefined);
    }
    if (this.events.listens('success')) {
      this.events.emit('success', { policy: this.name, duration: started === undefined ? 0 : now - started });
    }
    return value;
  }

  /** The hot path's success: a plain value, counted without reading the clock unless needed. */
  private settleClosedValue(admittedIn: ClosedState, value: unknown): unknown {
    if (this.verdicts.judgesValues || this.events.active)
      return this.settleValue(admittedIn, undefined, value);
    this.circuit.recordClosedSuccess(admittedIn, this.timeEnds ? this.clock.now() : 0);
    return value;
  }

  /**
   * The result of a probe whose caller already left: counted (not reported) if its state is still current. No
   * caller can receive an error from here (a throwing predicate or listener): it is thrown detached.
   */
  private countLateValue(
    admittedIn: AdmittingState,
    started: number,
    value: unknown,
    fleet: FleetVerdict | undefined,
  ): void {
    try {
      this.count(admittedIn, started, this.verdicts.ofValue(value), undefined, fleet);
    } catch (error) {
      throwDetached(error);
    }
  }

  /**
   * Counts a finished call in the state that admitted it (nothing for an undefined verdict). Returns the end
   * time (0 when nothing needed it).
   */
  private count(
    admittedIn: AdmittingState,
    started: number | undefined,
    verdict: CallOutcome | undefined,
    error: unknown,
    fleet?: FleetVerdict,
  ): number {
    const now = started !== undefined || this.timeEnds ? this.clock.now() : 0;
    if (verdict === undefined) return now;
    const limit = this.slowCallDuration;
    const slow = started !== undefined && limit !== undefined && now - started >= limit;
    this.circuit.record(admittedIn, slow ? verdict | SLOW : verdict, now, error, fleet);
    return now;
  }
}
