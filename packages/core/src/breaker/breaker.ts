import { type Backoff, type BackoffSequence, nextDelay, startSequence } from '../backoff/backoff.js';
import type { Clock } from '../clock.js';
import {
  BrokenCircuitError,
  type BulwarkErrorCode,
  InvalidOptionError,
  IsolatedCircuitError,
  isBulwarkError,
} from '../errors.js';
import type { CircuitState, RejectionReason } from '../events.js';
import {
  type Ctx,
  HOLD,
  type Holders,
  leaveBehind,
  NO_HOLDERS,
  type SlotHolder,
} from '../internal/context.js';
import {
  clockOf,
  describe,
  optionalFunction,
  orDefault,
  policyName,
  requireFiniteNonNegative,
  requireInteger,
  requirePositive,
} from '../internal/validate.js';
import { type Next, PolicyBase, RUN } from '../policy.js';
import { consecutive } from './consecutive.js';
import { type BreakerSnapshot, MAX_BREAKS, parseSnapshot, SNAPSHOT_VERSION } from './snapshot.js';
import type { BreakerStrategy, HealthTracker } from './strategy.js';
import { requireFailureRatio } from './validate.js';

export interface CircuitBreakerOptions {
  /** When a closed circuit opens. Default `consecutive(5)`. */
  readonly strategy?: BreakerStrategy;
  /**
   * How long the circuit stays open before it lets a probe through (ms), or a Backoff whose successive delays
   * are the successive break durations (growing while probes keep failing, starting over once it closes).
   * Default 5 000.
   */
  readonly halfOpenAfter?: number | Backoff;
  /**
   * How many probes half-open admits; all must succeed to close, the first failure reopens. A probe keeps its slot
   * until its function settles, even when its caller left earlier. Default 1.
   */
  readonly halfOpenProbes?: number;
  /**
   * Which errors count as failures. Default: every error except the caller's own abort and Bulwark's local
   * load-shedding rejections (bulkhead, rate limiter, throttling, retry budget), which say nothing about the
   * dependency's health.
   */
  readonly handle?: (error: unknown) => boolean;
  /** Which results count as failures (e.g. a 503 response). Default: none. */
  readonly handleResult?: (value: unknown) => boolean;
  /**
   * Results that are neither successes nor failures yet, because the outcome comes later (a stream that has only
   * started): report it with `recordSuccess` / `recordFailure`. A half-open probe with such a result frees its
   * slot (its function has settled) without a verdict. Default: none.
   */
  readonly deferResult?: (value: unknown) => boolean;
  /** A call lasting at least this long (ms) is slow. Default: slow calls are not tracked. */
  readonly slowCallDuration?: number;
  /**
   * With a window strategy: open when slow calls / calls in the window reach this ratio, in (0, 1]. Default 1.
   * Not allowed with `consecutive`, where a slow call simply counts like a failure.
   */
  readonly slowCallRatio?: number;
  /** A snapshot from `snapshot()` to start from. A malformed one throws InvalidOptionError. */
  readonly initialState?: BreakerSnapshot;
  readonly clock?: Clock;
  readonly name?: string;
}

/** Releases one `isolate()`; the circuit closes once every handle is released. Releasing twice is harmless. */
export interface IsolationHandle {
  dispose(): void;
  [Symbol.dispose](): void;
}

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const ISOLATED = 3;
type Mode = typeof CLOSED | typeof OPEN | typeof HALF_OPEN | typeof ISOLATED;
const DEFAULT_STRATEGY = consecutive(5);
const NAMES: readonly CircuitState[] = ['closed', 'open', 'halfOpen', 'isolated'];

class Isolation implements IsolationHandle {
  constructor(private readonly release: (isolation: Isolation) => void) {}
  dispose(): void {
    this.release(this);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * One stretch of time between two transitions. A call counts only in the epoch that admitted it, and the
 * epoch's settle handlers are shared by all of its calls, so the closed hot path allocates nothing per call.
 */
interface Epoch {
  readonly settleValue: (value: unknown) => unknown;
  readonly settleError: (error: unknown) => never;
  /** Count an outcome beside the caller's own await (the caller gets the function's promise unchanged). */
  readonly countValue: (value: unknown) => void;
  readonly countError: (error: unknown) => void;
}

/**
 * An error thrown where no caller can receive it (an event listener run by a detached reaction): rethrown as an
 * uncaught exception, as a throwing listener of any emitter would be, rather than a silent unhandled rejection.
 */
const noop = (): void => {};

function throwDetached(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

export class CircuitBreakerPolicy extends PolicyBase<never> implements SlotHolder {
  readonly strategy: BreakerStrategy;
  readonly halfOpenAfter: number | Backoff;
  readonly halfOpenProbes: number;
  readonly slowCallDuration: number | undefined;
  private readonly handle: ((error: unknown) => boolean) | undefined;
  private readonly handleResult: ((value: unknown) => boolean) | undefined;
  private readonly deferResult: ((value: unknown) => boolean) | undefined;
  private readonly clock: Clock;
  private readonly tracker: HealthTracker;
  /** Whether every call needs its start time (slow-call tracking). */
  private readonly timeStarts: boolean;
  /** Whether every counted call needs its end time (time window or slow-call tracking). */
  private readonly timeEnds: boolean;

  private mode: Mode = CLOSED;
  /** Replaced on every transition: a call admitted in an earlier epoch no longer counts when it ends. */
  private epoch = this.newEpoch();
  private openUntil = 0;
  /** Breaks in a row since the circuit last closed. */
  private breaks = 0;
  private breakDurations: BackoffSequence | undefined;
  /**
   * Probes whose function is still running, whatever state the circuit is in now: a slot stays taken until the
   * function really settles, so no more than halfOpenProbes real probes ever run at once.
   */
  private probesRunning = 0;
  private probeSuccesses = 0;
  /** The contexts probes passed down, while their function runs: work left below them is a probe's too. */
  private readonly probing = new Set<Ctx>();
  private readonly isolations = new Set<Isolation>();

  constructor(options: CircuitBreakerOptions = {}) {
    super(policyName(options, 'circuitBreaker'));
    const o = options;
    this.strategy = orDefault(o.strategy, DEFAULT_STRATEGY);
    if (typeof this.strategy?.start !== 'function') {
      throw new InvalidOptionError(
        'strategy',
        `expected consecutive(n), countWindow(...) or timeWindow(...), got ${describe(this.strategy)}`,
      );
    }
    this.halfOpenAfter = validateHalfOpenAfter(orDefault(o.halfOpenAfter, 5_000));
    this.halfOpenProbes = requireInteger('halfOpenProbes', orDefault(o.halfOpenProbes, 1), 1);
    this.handle = optionalFunction('handle', o.handle);
    this.handleResult = optionalFunction('handleResult', o.handleResult);
    this.deferResult = optionalFunction('deferResult', o.deferResult);
    this.slowCallDuration =
      o.slowCallDuration === undefined ? undefined : requirePositive('slowCallDuration', o.slowCallDuration);
    this.tracker = this.strategy.start(this.validateSlowCallRatio(o.slowCallRatio));
    this.clock = clockOf(o.clock);
    this.timeStarts = this.slowCallDuration !== undefined;
    this.timeEnds = this.strategy.needsTime || this.timeStarts;
    if (o.initialState !== undefined) this.restore(parseSnapshot(o.initialState));
  }

  /**
   * The current state. Reading it moves an open circuit whose break is over to 'halfOpen' (and emits that
   * stateChange): the breaker has no timers, so the transition happens when someone looks or calls.
   */
  get state(): CircuitState {
    if (this.mode === OPEN && this.clock.now() >= this.openUntil) this.enter(HALF_OPEN);
    return NAMES[this.mode]!;
  }

  /** Holds the circuit open until every returned handle is released. Calls fail with IsolatedCircuitError. */
  isolate(): IsolationHandle {
    const isolation = new Isolation((handle) => this.release(handle));
    this.isolations.add(isolation);
    if (this.mode !== ISOLATED) this.enter(ISOLATED);
    return isolation;
  }

  /** Called by an isolation handle. */
  private release(isolation: Isolation): void {
    if (!this.isolations.delete(isolation)) return;
    if (this.isolations.size === 0 && this.mode === ISOLATED) this.close();
  }

  /** Closes the circuit and forgets every outcome and break. It also lifts isolation: old handles become no-ops. */
  reset(): void {
    this.isolations.clear();
    this.close();
  }

  /**
   * Reports the outcome of a call whose result was deferred (see `deferResult`), e.g. a stream read to its end.
   * Closed: counts a success; half-open: counts a probe success (closing the circuit once enough succeeded);
   * open or isolated: nothing to do.
   */
  recordSuccess(): void {
    if (this.mode === CLOSED) this.tracker.record(false, false, this.timeEnds ? this.clock.now() : 0);
    else if (this.mode === HALF_OPEN && ++this.probeSuccesses >= this.halfOpenProbes) this.close();
  }

  /**
   * Reports a failure of a call whose result was deferred (a stream cut after its first chunk). The `handle`
   * predicate decides whether it counts. Closed: it counts like any failure; half-open: the dependency has not
   * recovered, so the circuit opens again; open or isolated: nothing to do. Returns whether it was counted.
   */
  recordFailure(error: unknown): boolean {
    if (this.mode === OPEN || this.mode === ISOLATED) return false;
    if (!(this.handle === undefined ? !isLocalRejection(error) : this.handle(error) === true)) return false;
    if (this.mode === HALF_OPEN) this.open(true, error);
    else if (this.tracker.record(true, false, this.timeEnds ? this.clock.now() : 0)) this.open(true, error);
    return true;
  }

  /** The state as JSON-serializable data, for `initialState` in another process or after a restart. */
  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      version: SNAPSHOT_VERSION,
      state,
      ...(this.mode === OPEN ? { openUntil: this.openUntil } : {}),
      breaks: Math.min(this.breaks, MAX_BREAKS),
      window: this.tracker.save(this.clock.now()),
    };
  }

  [RUN](context: Ctx, next: Next, holders: Holders = NO_HOLDERS): Promise<unknown> {
    if (this.mode !== CLOSED) return this.runGuarded(context, next, holders);
    if (this.timeStarts || this.events.active) return this.runTimed(context, next);
    // The hot path: the epoch's shared handlers, no timer, no clock read unless the strategy needs the time,
    // and a closure only when the caller can abort.
    const epoch = this.epoch;
    let pending: unknown;
    try {
      pending = next(context);
    } catch (error) {
      pending = Promise.reject(error);
    }
    const promise = Promise.resolve(pending);
    if (
      !context.canAbort &&
      this.handle === undefined &&
      this.handleResult === undefined &&
      this.deferResult === undefined
    ) {
      // Nothing can change what the caller gets, so it gets the function's own promise. The outcome is counted
      // by a reaction registered before the caller's await, so the breaker is up to date when the caller resumes.
      promise.then(epoch.countValue, epoch.countError);
      return promise;
    }
    return promise.then(
      epoch.settleValue,
      context.canAbort
        ? (error: unknown) => {
            throw this.onError(epoch, false, false, 0, error, context);
          }
        : epoch.settleError,
    );
  }

  /** A closed call whose duration matters (slow-call tracking, or someone listens to success/failure). */
  private async runTimed(context: Ctx, next: Next): Promise<unknown> {
    const epoch = this.epoch;
    const started = this.clock.now();
    let value: unknown;
    try {
      value = await next(context);
    } catch (error) {
      throw this.onError(epoch, false, true, started, error, context);
    }
    return this.onValue(epoch, false, true, started, value);
  }

  private runGuarded(context: Ctx, next: Next, holders: Holders): Promise<unknown> {
    if (context.aborted) return Promise.reject(context.reason);
    if (this.mode === ISOLATED) return this.reject('isolated', undefined);
    if (this.mode === OPEN) {
      const now = this.clock.now();
      if (now < this.openUntil) return this.reject('circuitOpen', this.openUntil - now);
      this.enter(HALF_OPEN);
    }
    // Half-open: callers beyond the probe slots are turned away at once, never parked.
    if (this.probesRunning + this.probeSuccesses >= this.halfOpenProbes)
      return this.reject('halfOpenBusy', undefined);
    return this.runProbe(context, next, holders);
  }

  /**
   * A probe also listens for the caller's abort: the caller leaves at once with its reason, even if the function
   * ignores its signal, but the probe keeps its slot until the function settles. What the function yields after
   * its caller left still counts in the state that admitted it, like any outcome after an abort: a result is
   * evidence of the dependency's health (a success may close the circuit), an error is presumed to be the abort's
   * consequence and counts as nothing. Work a layer inside leaves running (a timeout that expired) keeps the slot
   * taken as well (see HOLD), even once the circuit has moved on.
   */
  private runProbe(context: Ctx, next: Next, holders: Holders): Promise<unknown> {
    const epoch = this.epoch;
    this.probesRunning++;
    this.probing.add(context);
    const started = this.clock.now();
    let pending: unknown;
    try {
      pending = next(context);
    } catch (error) {
      pending = Promise.reject(error);
    }
    const work = Promise.resolve(pending);
    return new Promise((resolve, reject) => {
      let answered = false;
      let unsubscribe: (() => void) | undefined;
      work.then(
        (value) => {
          this.probing.delete(context);
          this.probeSettled();
          unsubscribe?.();
          if (answered) {
            this.lateProbeValue(epoch, started, value);
            return;
          }
          answered = true;
          try {
            resolve(this.onValue(epoch, true, true, started, value));
          } catch (error) {
            reject(error);
          }
        },
        (error) => {
          this.probing.delete(context);
          this.probeSettled();
          unsubscribe?.();
          if (answered) return;
          answered = true;
          try {
            reject(this.onError(epoch, true, true, started, error, context));
          } catch (thrown) {
            reject(thrown);
          }
        },
      );
      if (!context.canAbort || answered) return;
      unsubscribe = context.subscribe((reason) => {
        if (answered) return;
        answered = true;
        unsubscribe = undefined;
        this.reportFailure(this.clock, reason, started);
        reject(reason);
        if (holders.length > 0) leaveBehind(work, context, holders);
      });
    });
  }

  /** A probe's function settled: its slot is free, whatever state the circuit is in now. */
  private readonly probeSettled = (): void => {
    this.probesRunning--;
  };

  /**
   * Work a layer inside left running when it answered its caller. Under a probe it keeps a probe slot
   * until it settles, whatever state the circuit is in by then; under a closed call it holds nothing.
   */
  [HOLD](work: Promise<unknown>, context: Ctx): void {
    if (this.probing.size === 0) {
      work.then(undefined, noop);
      return;
    }
    for (let c: Ctx | undefined = context; c !== undefined; c = c.parent) {
      if (this.probing.has(c)) {
        this.probesRunning++;
        work.then(this.probeSettled, this.probeSettled);
        return;
      }
    }
    work.then(undefined, noop);
  }

  /** The result of a probe whose caller already left: counted (not reported) if its state is still current. */
  private lateProbeValue(epoch: Epoch, started: number, value: unknown): void {
    let failed: boolean | undefined;
    try {
      failed = this.verdictOf(value);
    } catch (error) {
      throwDetached(error);
      return;
    }
    this.settle(epoch, true, failed, true, started, undefined);
  }

  /** What a returned value counts as: a failure (handleResult), a success, or nothing yet (deferResult). */
  private verdictOf(value: unknown): boolean | undefined {
    return this.deferResult !== undefined && this.deferResult(value) === true
      ? undefined
      : this.handleResult !== undefined && this.handleResult(value) === true;
  }

  private newEpoch(): Epoch {
    const epoch: Epoch = {
      settleValue: (value) => this.closedValue(epoch, value),
      settleError: (error) => {
        throw this.onError(epoch, false, false, 0, error, undefined);
      },
      countValue: (value) => {
        try {
          this.closedValue(epoch, value);
        } catch (error) {
          throwDetached(error);
        }
      },
      countError: (error) => {
        try {
          this.onError(epoch, false, false, 0, error, undefined);
        } catch (thrown) {
          throwDetached(thrown);
        }
      },
    };
    return epoch;
  }

  /** The hot path's success: a plain value, counted without reading the clock unless needed. */
  private closedValue(epoch: Epoch, value: unknown): unknown {
    if (this.handleResult !== undefined || this.deferResult !== undefined || this.events.active)
      return this.onValue(epoch, false, false, 0, value);
    if (epoch === this.epoch && this.tracker.record(false, false, this.timeEnds ? this.clock.now() : 0)) {
      this.open(false, undefined);
    }
    return value;
  }

  /** Settles a call that returned a value; returns the value (or throws a throwing predicate's error). */
  private onValue(epoch: Epoch, probe: boolean, timing: boolean, started: number, value: unknown): unknown {
    let failed: boolean | undefined;
    try {
      failed = this.verdictOf(value);
    } catch (error) {
      // A throwing predicate is the caller's bug: report it and count nothing.
      this.settle(epoch, probe, undefined, timing, started, error);
      throw error;
    }
    const now = this.settle(epoch, probe, failed, timing, started, undefined);
    if (this.listens('success')) {
      this.events.emit('success', { policy: this.name, duration: timing ? now - started : 0 });
    }
    return value;
  }

  /**
   * Settles a call that threw; returns what the caller gets: the caller's abort reason when it aborted
   * (`context` is only needed when the caller can abort), else the error.
   */
  private onError(
    epoch: Epoch,
    probe: boolean,
    timing: boolean,
    started: number,
    error: unknown,
    context: Ctx | undefined,
  ): unknown {
    const aborted = context?.aborted === true;
    const reported = aborted ? context!.reason : error;
    let counted: boolean;
    try {
      counted =
        !aborted && (this.handle === undefined ? !isLocalRejection(error) : this.handle(error) === true);
    } catch (thrown) {
      this.settle(epoch, probe, undefined, timing, started, error);
      throw thrown;
    }
    // An unhandled error or an abort is neither a success nor a failure, in every state.
    this.settle(epoch, probe, counted ? true : undefined, timing, started, error);
    this.reportFailure(this.clock, reported, timing ? started : undefined);
    return reported;
  }

  /**
   * Counts one finished call if it still belongs to the current epoch. `failed` undefined means "not counted".
   * A probe's slot is freed apart (when its function settles). `timing` says whether `started` was read. Returns
   * the end time (0 when nothing needed it).
   */
  private settle(
    epoch: Epoch,
    probe: boolean,
    failed: boolean | undefined,
    timing: boolean,
    started: number,
    error: unknown,
  ): number {
    const now = timing || this.timeEnds ? this.clock.now() : 0;
    if (epoch !== this.epoch) return now;
    const slow = timing && this.slowCallDuration !== undefined && now - started >= this.slowCallDuration;
    if (!probe) {
      if (failed !== undefined && this.tracker.record(failed, slow, now)) this.open(failed, error);
      return now;
    }
    if (failed === undefined) return now;
    // A slow probe means the dependency has not recovered either.
    if (failed || slow) this.open(failed, error);
    else if (++this.probeSuccesses >= this.halfOpenProbes) this.close();
    return now;
  }

  private open(failed: boolean, error: unknown): void {
    const duration = this.nextBreak();
    this.openUntil = this.clock.now() + duration;
    this.breaks++;
    this.enter(OPEN, failed && error !== undefined, error);
  }

  private close(): void {
    this.breaks = 0;
    this.breakDurations = undefined;
    this.enter(CLOSED);
  }

  private enter(mode: Mode, withError = false, error: unknown = undefined): void {
    const from = this.mode;
    this.mode = mode;
    this.epoch = this.newEpoch();
    // Outcomes only matter while closed, and a closed circuit always starts afresh.
    this.tracker.clear();
    // Probes still running keep their slots (probesRunning): they are real calls in flight.
    this.probeSuccesses = 0;
    if (from !== mode && this.listens('stateChange')) {
      this.events.emit('stateChange', {
        policy: this.name,
        from: NAMES[from]!,
        to: NAMES[mode]!,
        ...(withError ? { error } : {}),
      });
    }
  }

  private reject(reason: RejectionReason, retryAfterMs: number | undefined): Promise<never> {
    if (this.listens('rejected')) this.events.emit('rejected', { policy: this.name, reason, retryAfterMs });
    return Promise.reject(
      reason === 'isolated'
        ? new IsolatedCircuitError()
        : reason === 'circuitOpen'
          ? new BrokenCircuitError(undefined, retryAfterMs)
          : new BrokenCircuitError(
              'Execution prevented because the circuit breaker is half-open and its probes are taken',
            ),
    );
  }

  private nextBreak(): number {
    const after = this.halfOpenAfter;
    if (typeof after === 'number') return after;
    if (this.breakDurations === undefined) {
      this.breakDurations = startSequence(after, undefined, 'halfOpenAfter');
      // After a restore, continue the growth where the saved breaker was.
      for (let i = 0; i < this.breaks; i++) this.breakDurations.next();
    }
    // A misbehaving custom backoff lands on its cap, never on a NaN or negative break.
    return nextDelay(this.breakDurations, after.maxDelay);
  }

  private longestBreak(): number {
    const after = this.halfOpenAfter;
    return typeof after === 'number' ? after : after.maxDelay;
  }

  private validateSlowCallRatio(ratio: number | undefined): number | undefined {
    if (ratio !== undefined) {
      requireFailureRatio('slowCallRatio', ratio);
      if (this.slowCallDuration === undefined) {
        throw new InvalidOptionError('slowCallRatio', 'needs slowCallDuration (which calls are slow)');
      }
      if (this.strategy.kind === 'consecutive') {
        throw new InvalidOptionError(
          'slowCallRatio',
          'consecutive(n) has no ratio (a slow call counts as a failure); use countWindow or timeWindow',
        );
      }
    }
    if (this.slowCallDuration === undefined || this.strategy.kind === 'consecutive') return undefined;
    return ratio ?? 1;
  }

  private restore(snapshot: BreakerSnapshot): void {
    const now = this.clock.now();
    switch (snapshot.state) {
      case 'closed':
        // A window saved by another strategy (or none) starts empty: a documented fallback, not an error.
        if (snapshot.window.kind === this.strategy.kind) this.tracker.load(snapshot.window, now);
        return;
      case 'halfOpen':
        this.breaks = snapshot.breaks;
        this.mode = HALF_OPEN;
        return;
      case 'open':
        this.breaks = snapshot.breaks;
        this.mode = OPEN;
        // A clock-skewed or forged snapshot cannot keep the circuit open longer than one longest break.
        this.openUntil = Math.min(snapshot.openUntil!, now + this.longestBreak());
        return;
      case 'isolated':
        // No isolation handle survives a restart: keep the dependency off for one break, then probe it.
        this.breaks = snapshot.breaks;
        this.mode = OPEN;
        this.openUntil = now + this.nextBreak();
        this.breaks++;
        return;
    }
  }
}

/** Rejections made on this side of the wire: a full bulkhead is not a sick dependency. */
const LOCAL_REJECTIONS: ReadonlySet<BulwarkErrorCode> = new Set<BulwarkErrorCode>([
  'BULKHEAD_REJECTED',
  'RATE_LIMITED',
  'THROTTLED',
  'BUDGET_EXHAUSTED',
]);

function isLocalRejection(error: unknown): boolean {
  return isBulwarkError(error) && LOCAL_REJECTIONS.has(error.code);
}

function validateHalfOpenAfter(value: unknown): number | Backoff {
  if (typeof value === 'number') return requireFiniteNonNegative('halfOpenAfter', value);
  const backoff = value as Partial<Backoff> | null;
  if (
    typeof backoff !== 'object' ||
    backoff === null ||
    typeof backoff.start !== 'function' ||
    typeof backoff.maxDelay !== 'number' ||
    !Number.isFinite(backoff.maxDelay) ||
    backoff.maxDelay < 0
  ) {
    throw new InvalidOptionError(
      'halfOpenAfter',
      `expected a number of ms >= 0 or a Backoff with a finite maxDelay, got ${describe(value)}`,
    );
  }
  // Starting a sequence draws nothing; a custom backoff that cannot start one fails now, not at the first break.
  startSequence(value as Backoff, undefined, 'halfOpenAfter');
  return value as Backoff;
}

/** Stops calling a failing dependency for a while, then lets probes decide whether it recovered. */
export function circuitBreaker(options?: CircuitBreakerOptions): CircuitBreakerPolicy {
  return new CircuitBreakerPolicy(options);
}
