import type { Backoff } from '../backoff/backoff.js';
import type { Clock } from '../clock.js';
import { BrokenCircuitError, IsolatedCircuitError } from '../errors.js';
import type { CircuitState, RejectionReason } from '../events.js';
import type { Ctx } from '../internal/context.js';
import { HOLD, type Holders, leaveBehind, NO_HOLDERS, type SlotHolder } from '../internal/slot-holders.js';
import { type Next, PolicyBase, RUN } from '../policy.js';
import {
  type AdmittingState,
  type BreakerState,
  Circuit,
  type ClosedState,
  FAILED,
  type HalfOpenState,
  OK,
} from './circuit.js';
import { restoreCircuit, saveCircuit } from './circuit-snapshot.js';
import type { BreakerControl } from './control.js';
import { type IsolationHandle, Isolations } from './isolation.js';
import { breakerSettings, type CircuitBreakerOptions } from './options.js';
import { ParkedCallers } from './parking.js';
import { ProbeAnswer, ProbeContexts } from './probes.js';
import { CallSettler, type ClosedReactions } from './settler.js';
import { CircuitSharing, LOCAL_PROBE, type PermitAnswer, releasePermit, SharedProbe } from './sharing.js';
import type { BreakerSnapshot } from './snapshot.js';
import type { BreakerStrategy } from './strategy.js';
import { Verdicts } from './verdicts.js';

export type { IsolationHandle } from './isolation.js';
export type { CircuitBreakerOptions } from './options.js';

const noop = (): void => {};

export class CircuitBreakerPolicy
  extends PolicyBase<never, 'success' | 'failure' | 'stateChange' | 'rejected' | 'thresholdExceeded'>
  implements SlotHolder
{
  /** How the closed circuit decides to open: {@link CircuitBreakerOptions.strategy}. */
  readonly strategy: BreakerStrategy;
  /**
   * How long the circuit stays open before a probe (ms, or a backoff over consecutive breaks): {@link
   * CircuitBreakerOptions.halfOpenAfter}.
   */
  readonly halfOpenAfter: number | Backoff;
  /** Probes let through while half-open: {@link CircuitBreakerOptions.halfOpenProbes}. */
  readonly halfOpenProbes: number;
  /**
   * Probe successes that close a half-open circuit: {@link CircuitBreakerOptions.halfOpenSuccessThreshold} (or
   * from {@link CircuitBreakerOptions.halfOpenFailureRatio}); `halfOpenProbes` by default.
   */
  readonly halfOpenSuccesses: number;
  /**
   * Calls slower than this (ms) count as slow; undefined when slow calls are not counted: {@link
   * CircuitBreakerOptions.slowCallDuration}.
   */
  readonly slowCallDuration: number | undefined;
  private readonly verdicts: Verdicts;
  private readonly clock: Clock;
  /** Whether every call needs its start time (slow-call tracking). */
  private readonly timeStarts: boolean;
  /** Whether every counted call needs its end time (time window or slow-call tracking). */
  private readonly timeEnds: boolean;
  private readonly circuit: Circuit;
  private readonly settler: CallSettler;
  /** The reactions of the last closed state: the current state's whenever the circuit is closed. */
  private reactions: ClosedReactions;
  // The last handle is released only while isolated: reset() forgets the handles, and nothing else (a control,
  // the fleet, an outcome) moves an isolated circuit.
  private readonly isolations = new Isolations(() => this.circuit.close());
  private readonly probing = new ProbeContexts();
  /** Callers waiting behind the probes, with `halfOpenWait`. */
  private readonly parked: ParkedCallers | undefined;
  /** The link to the fleet's state, with the `sync` option. */
  private readonly sharing: CircuitSharing | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    const settings = breakerSettings(options);
    super(settings.name);
    this.strategy = settings.strategy;
    this.halfOpenAfter = settings.halfOpenAfter;
    this.halfOpenProbes = settings.halfOpenProbes;
    this.halfOpenSuccesses = settings.halfOpenSuccesses;
    this.slowCallDuration = settings.slowCallDuration;
    this.verdicts = new Verdicts(
      settings.handle,
      settings.handleResult,
      settings.deferResult,
      settings.breakFor,
    );
    this.clock = settings.clock;
    this.timeStarts = this.slowCallDuration !== undefined;
    this.timeEnds = this.strategy.needsTime || this.timeStarts;
    this.circuit = new Circuit({
      ...settings, // halfOpenAfter, breakDuration, the half-open settings, autoHalfOpen, clock
      tracker: this.strategy.start(settings.slowCallRatio),
      onTransition: (from, to, error) => this.entered(from, to, error),
      onExceeded: (stats) => {
        if (this.listens('thresholdExceeded'))
          this.events.emit('thresholdExceeded', { policy: this.name, ...stats });
      },
    });
    this.settler = new CallSettler({
      circuit: this.circuit,
      verdicts: this.verdicts,
      clock: this.clock,
      slowCallDuration: this.slowCallDuration,
      timeEnds: this.timeEnds,
      name: this.name,
      events: this.events,
      reportFailure: (error, started) => this.reportFailure(this.clock, error, started),
    });
    this.parked = settings.halfOpenWait ? new ParkedCallers() : undefined;
    this.reactions = this.settler.reactionsFor(this.circuit.state as ClosedState); // a new circuit is closed
    if (settings.initialState !== undefined) {
      restoreCircuit(this.circuit, settings.initialState, this.strategy.kind);
    }
    if (settings.control !== undefined) settings.control.attach(this.controlled);
    this.sharing =
      settings.sync === undefined
        ? undefined
        : new CircuitSharing(settings.sync, settings.acquireTimeoutMs, this.circuit, this.clock, this.name);
  }

  /** Applies its control's command (see BreakerControl); held by the breaker, weakly by the control. */
  private readonly controlled = {
    apply: (control: BreakerControl): void => {
      const circuit = this.circuit;
      const mode = control.mode;
      circuit.heldClosed = mode === 'closed';
      circuit.heldExceeded = false;
      const state = circuit.state;
      if (mode === 'closed' && (state.kind === 'open' || state.kind === 'halfOpen')) circuit.close();
      if (mode === 'open') {
        const { at, forMs } = control.openHold;
        const breaks = state.kind === 'closed' ? 0 : state.breaks.count;
        circuit.openFor(at ?? this.clock.now() + (forMs ?? 0), breaks);
      }
    },
  };

  /**
   * The current state. Reading it moves an open circuit whose break is over to 'halfOpen' (and emits that
   * stateChange): the breaker has no timers, so the transition happens when someone looks or calls.
   */
  get state(): CircuitState {
    return this.circuit.refresh().kind;
  }

  /** Holds the circuit open until every returned handle is released. Calls fail with IsolatedCircuitError. */
  isolate(): IsolationHandle {
    const handle = this.isolations.take();
    this.circuit.isolate();
    return handle;
  }

  /** Closes the circuit and forgets every outcome and break. It also lifts isolation: old handles become no-ops. */
  reset(): void {
    this.isolations.clear();
    if (this.sharing !== undefined) this.sharing.reset();
    else this.circuit.close();
  }

  /**
   * Reports the outcome of a call whose result was deferred (see `deferResult`), e.g. a stream read to its end.
   * Closed: counts a success; half-open: counts a probe success (closing the circuit once enough succeeded);
   * open or isolated: nothing to do.
   */
  recordSuccess(): void {
    this.circuit.record(this.circuit.state, OK, this.timeEnds ? this.clock.now() : 0, undefined);
  }

  /**
   * Reports a failure of a call whose result was deferred (a stream cut after its first chunk). The `handle`
   * predicate decides whether it counts. Closed: it counts like any failure; half-open: a failed probe (the circuit
   * opens again, unless `halfOpenSuccessThreshold` tolerates it); open or isolated: nothing to do. Returns whether it was counted.
   */
  recordFailure(error: unknown): boolean {
    const state = this.circuit.state;
    if (state.kind === 'open' || state.kind === 'isolated' || !this.verdicts.counts(error)) return false;
    this.circuit.record(state, FAILED, this.timeEnds ? this.clock.now() : 0, error);
    return true;
  }

  /**
   * Stops the `autoHalfOpen` timer for good: the breaker keeps working, its transitions seen at the next call or
   * read of `state` as without the option. Without `autoHalfOpen` it does nothing.
   */
  dispose(): void {
    this.circuit.stopTimer();
  }

  /** The same as `dispose()`, for `using breaker = circuitBreaker(...)`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The state as JSON-serializable data, for `initialState` in another process or after a restart. */
  snapshot(): BreakerSnapshot {
    return saveCircuit(this.circuit);
  }

  [RUN](context: Ctx, next: Next, holders: Holders = NO_HOLDERS): Promise<unknown> {
    const reactions = this.reactions;
    const state = this.circuit.state;
    // The circuit is closed exactly when its state is the one the reactions count for: an identity check, cheaper
    // on the hot path than reading `kind` from objects of four shapes.
    if (state !== reactions.state) {
      return this.runGuarded(state as Exclude<BreakerState, ClosedState>, context, next, holders);
    }
    if (this.timeStarts || this.events.active) {
      return this.runObserved(reactions.state, context, next, holders, undefined);
    }
    // The hot path. It is apart from runObserved because it costs nothing per call that a closed call does not
    // need: the closed state's shared reactions instead of an async frame (no closure unless the caller can
    // abort), no start time, no clock read unless the strategy needs the time, and most often the caller gets the
    // function's own promise. runObserved would cost a second promise and a clock read per call.
    const promise = callNext(next, context);
    if (!context.canAbort && this.verdicts.passThrough) {
      // Nothing can change what the caller gets, so it gets the function's own promise. The outcome is counted
      // by a reaction registered before the caller's await, so the breaker is up to date when the caller resumes.
      promise.then(reactions.countValue, reactions.countError);
      return promise;
    }
    return promise.then(
      reactions.settleValue,
      context.canAbort
        ? (error: unknown) => {
            throw this.settler.settleError(reactions.state, undefined, error, context);
          }
        : reactions.settleError,
    );
  }

  /** A call while the circuit is not closed: refused at once, or run as a half-open probe. */
  private runGuarded(
    state: Exclude<BreakerState, ClosedState>,
    context: Ctx,
    next: Next,
    holders: Holders,
  ): Promise<unknown> {
    if (context.aborted) return Promise.reject(context.reason);
    if (state.kind === 'isolated') return this.refuse('isolated', undefined, undefined);
    let halfOpen: HalfOpenState;
    if (state.kind === 'open') {
      const now = this.clock.now();
      if (now < state.until) return this.refuse('circuitOpen', state.until - now, state.cause);
      halfOpen = this.circuit.halfOpen(state);
    } else {
      // Probes out of time (maxHalfOpenDuration): the circuit reopened, the call starts over in it.
      if (this.circuit.refresh() !== state) {
        return this[RUN](context, next, holders);
      }
      halfOpen = state;
    }
    // Callers beyond the probe slots are turned away at once, or parked with halfOpenWait.
    if (!this.circuit.takeProbeSlot(halfOpen)) {
      return this.parked === undefined
        ? this.refuse('halfOpenBusy', undefined, halfOpen.cause)
        : this.park(this.parked, context, next, holders);
    }
    if (this.sharing !== undefined) return this.runSharedProbe(halfOpen, context, next, holders);
    return this.runObserved(halfOpen, context, next, holders, undefined);
  }

  /** A caller parked behind the probes: it starts over once they decide or a slot frees (see ParkedCallers). */
  private async park(parked: ParkedCallers, context: Ctx, next: Next, holders: Holders): Promise<unknown> {
    await parked.wait(context);
    return this[RUN](context, next, holders);
  }

  /**
   * A probe of a shared circuit: its local slot is taken; it runs once the sync gives a fleet-wide permit (or
   * does not answer in time: then on the local slot alone). If the fleet's state reached the circuit meanwhile,
   * the call starts over in it.
   */
  private async runSharedProbe(
    halfOpen: HalfOpenState,
    context: Ctx,
    next: Next,
    holders: Holders,
  ): Promise<unknown> {
    let permit: PermitAnswer;
    try {
      permit = await this.sharing!.permit(context);
    } catch (reason) {
      this.circuit.freeProbeSlot();
      throw reason;
    }
    if (this.circuit.state !== halfOpen) {
      this.circuit.freeProbeSlot();
      releasePermit(permit);
      return this[RUN](context, next, holders);
    }
    if (permit === undefined) {
      this.circuit.freeProbeSlot();
      return this.refuse('halfOpenBusy', undefined, halfOpen.cause);
    }
    const shared = permit === LOCAL_PROBE ? undefined : new SharedProbe(permit);
    return this.runObserved(halfOpen, context, next, holders, shared);
  }

  /**
   * Every call the hot path does not take: a closed call whose duration matters (slow-call tracking, or someone
   * listens to success/failure), and a half-open probe, whose slot is taken. The settler's `observe` settles both.
   *
   * A probe's slot is freed when its function settles, whatever the circuit's state by then. A probe also answers
   * its caller at its abort (see ProbeAnswer); a closed call holds no scarce slot, so it answers when its function
   * settles (the execution's root has already answered an aborted caller). A probe's fleet-wide permit (`shared`)
   * takes its success, or is released once its outcome was counted.
   */
  private runObserved(
    admittedIn: AdmittingState,
    context: Ctx,
    next: Next,
    holders: Holders,
    shared: SharedProbe | undefined,
  ): Promise<unknown> {
    const started = this.clock.now();
    if (admittedIn.kind === 'closed') {
      return this.settler.observe(
        admittedIn,
        started,
        callNext(next, context),
        context,
        undefined,
        undefined,
      );
    }
    this.probing.add(context);
    const work = callNext(next, context);
    // Registered before observe's await, so the slot is free before the outcome is counted.
    const settled = (): void => this.probeSettled(context);
    work.then(settled, settled);
    const answer = context.canAbort ? new ProbeAnswer() : undefined;
    const observed = this.settler.observe(admittedIn, started, work, context, answer, shared);
    if (shared !== undefined) observed.then(shared.release, shared.release);
    // Parked callers look again once this probe was judged (or freed its slot without a verdict).
    if (this.parked !== undefined) observed.then(this.wakeParked, this.wakeParked);
    if (answer === undefined) return observed;
    // The caller leaves at its abort; work a layer inside leaves running keeps the slot taken as well (see HOLD).
    return answer.race(observed, context, (reason) => {
      if (holders.length > 0) leaveBehind(work, context, holders);
      this.reportFailure(this.clock, reason, started);
    });
  }

  private probeSettled(context: Ctx): void {
    this.probing.delete(context);
    this.circuit.freeProbeSlot();
  }

  private readonly freeProbeSlot = (): void => {
    this.circuit.freeProbeSlot();
    this.parked?.wakeAll();
  };

  private readonly wakeParked = (): void => {
    this.parked!.wakeAll();
  };

  /**
   * Work a layer inside left running when it answered its caller. Under a probe it keeps a probe slot
   * until it settles, whatever state the circuit is in by then; under a closed call it holds nothing.
   */
  [HOLD](work: Promise<unknown>, context: Ctx): void {
    if (this.probing.covers(context)) {
      this.circuit.holdProbeSlot();
      work.then(this.freeProbeSlot, this.freeProbeSlot);
    } else {
      work.then(undefined, noop);
    }
  }

  /** The circuit moved: a closed state gets its reactions; listeners hear of a change of state. */
  private entered(from: BreakerState, to: BreakerState, error: unknown): void {
    if (to.kind === 'closed') this.reactions = this.settler.reactionsFor(to);
    if (from.kind === 'halfOpen' && this.parked !== undefined) this.parked.wakeAll();
    if (this.sharing !== undefined) this.sharing.transitioned(from, to);
    if (from.kind !== to.kind && this.listens('stateChange')) {
      this.events.emit('stateChange', {
        policy: this.name,
        from: from.kind,
        to: to.kind,
        ...(error !== undefined ? { error } : {}),
      });
    }
  }

  /** Refuses a call; `cause` is the error that opened the circuit (the BrokenCircuitError's `cause`). */
  private refuse(reason: RejectionReason, retryAfterMs: number | undefined, cause: unknown): Promise<never> {
    if (this.listens('rejected')) this.events.emit('rejected', { policy: this.name, reason, retryAfterMs });
    return Promise.reject(
      reason === 'isolated'
        ? new IsolatedCircuitError()
        : new BrokenCircuitError(
            reason === 'circuitOpen'
              ? undefined
              : 'Execution prevented because the circuit breaker is half-open and its probes are taken',
            retryAfterMs,
            cause,
          ),
    );
  }
}

/** Calls the next layer; a synchronous throw becomes a rejection. */
function callNext(next: Next, context: Ctx): Promise<unknown> {
  let pending: unknown;
  try {
    pending = next(context);
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.resolve(pending);
}

/**
 * Stops calling a failing dependency for a while, then lets probes decide whether it recovered.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function circuitBreaker(options?: CircuitBreakerOptions): CircuitBreakerPolicy {
  return new CircuitBreakerPolicy(options);
}
