import { type Backoff, startSequence } from '../backoff/backoff.js';
import type { Clock } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import {
  clockOf,
  describe,
  optionalBoolean,
  optionalFunction,
  orDefault,
  policyName,
  requireFiniteNonNegative,
  requireInteger,
  requireMethods,
  requirePositive,
  requirePositiveRatio,
} from '../internal/validate.js';
import { consecutive } from './consecutive.js';
import { type BreakerSnapshot, parseSnapshot } from './snapshot.js';
import { DEFAULT_ACQUIRE_TIMEOUT_MS } from './sharing.js';
import type { BreakerStrategy } from './strategy.js';
import type { BreakerControl } from './control.js';
import type { CircuitSync } from './sync.js';

/**
 * Options of {@link circuitBreaker}. All are optional; a bad value throws {@link InvalidOptionError} naming the option.
 */
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
   * Computes each break from the failure statistics (Polly's break duration generator): called when the circuit
   * opens (the strategy tripped or the probes failed), it returns the break in ms, and may build on `halfOpenAfter`'s
   * own break for this opening (`stats.halfOpenAfter`, e.g. a growing Backoff's). A result that is not a finite
   * number >= 0 (NaN, Infinity, negative, not a number) falls back to `stats.halfOpenAfter`; a throwing function
   * too, and its error is rethrown detached (as a throwing listener's). Not asked for a carried break (`breakFor`),
   * a control's or the fleet's break. Default: none (`halfOpenAfter` alone).
   */
  readonly breakDuration?: (stats: BreakStats) => number;
  /**
   * How many probes half-open admits, one per slot; a probe keeps its slot until its function settles, even when its
   * caller left earlier. By default all must succeed to close and the first failure reopens; see
   * `halfOpenSuccessThreshold` and `halfOpenFailureRatio` for a verdict that tolerates failed probes. Default 1.
   */
  readonly halfOpenProbes?: number;
  /**
   * How many of the `halfOpenProbes` probes must succeed to close the circuit (an integer from 1 to
   * `halfOpenProbes`; failsafe-go's success threshold). The circuit closes as soon as that many succeeded, and
   * reopens as soon as more failed (or were slow) than `halfOpenProbes - halfOpenSuccessThreshold`, so the verdict
   * never waits for a probe whose outcome cannot change it. Not with `halfOpenFailureRatio`, nor with `sync` (a
   * shared circuit's half-open verdict is fleet-wide: every probe must succeed). Default `halfOpenProbes`.
   */
  readonly halfOpenSuccessThreshold?: number;
  /**
   * The same verdict as a failure ratio (resilience4j's failure rate threshold in half-open), in (0, 1]: the circuit
   * reopens once failed (or slow) probes / `halfOpenProbes` reaches this ratio, and closes once enough probes
   * succeeded that it cannot. E.g. 10 probes and 0.5: 5 failures reopen, 6 successes close. Not with
   * `halfOpenSuccessThreshold`, nor with `sync`. Default: none (every probe must succeed).
   */
  readonly halfOpenFailureRatio?: number;
  /**
   * The longest time (ms, > 0) the probes of a half-open circuit have to decide, from the first probe's admission
   * (resilience4j's maxWaitDurationInHalfOpenState): if they have not closed or reopened the circuit by then, it
   * reopens for the next break, and a verdict that comes later counts for nothing. Seen at the next call, verdict or
   * read of `state` (or at the deadline itself with `autoHalfOpen`). An idle half-open circuit (no probe yet) waits
   * for its first caller, untimed. Default: none (the probes take as long as they take).
   */
  readonly maxHalfOpenDuration?: number;
  /**
   * Moves an open circuit to half-open when its break ends, on a timer, rather than at the next call or read of
   * `state` (resilience4j's automatic transition): the `stateChange` to `halfOpen` comes on time, for dashboards. With
   * `maxHalfOpenDuration`, the probes' deadline is timed too. One timer per breaker at most, armed only while open
   * (or half-open with a deadline), unref'd (it never keeps a process alive) and cleared by every transition
   * (`reset`, `isolate`, a control, the fleet) and by `dispose()`. Default `false` (no timers).
   */
  readonly autoHalfOpen?: boolean;
  /**
   * What a call does when the circuit is half-open and every probe slot is taken: `false` refuses it at once with
   * `BrokenCircuitError`; `true` parks it behind the probes (cockatiel's behaviour) until they decide or a slot
   * frees, then it starts over in the circuit's new state (runs once closed, is refused once reopened, or probes in
   * a freed slot). A parked caller leaves at once with its signal's reason when it aborts; nothing else bounds the
   * wait but the probes themselves, so put a `timeout` outside the breaker. With `sync`, a probe the fleet refuses is
   * still refused. Default `false`.
   */
  readonly halfOpenWait?: boolean;
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
  /**
   * A break an outcome carries (resilience4j's transition on result): return a duration (ms) to open the circuit at
   * once for exactly that long, e.g. a 429's or 503's server delay; undefined (or anything but a finite number
   * >= 0) lets `handle`/`handleResult` and the strategy decide as usual. Asked for every counted outcome while
   * closed or half-open (an error `handle` rejects or a caller abort is never asked). The break counts in the series
   * (a growing `halfOpenAfter` moves on), is not capped, and ends in half-open like any break. Default: none.
   */
  readonly breakFor?: (outcome: BreakOutcome) => number | undefined;
  /** A call lasting at least this long (ms) is slow. Default: slow calls are not tracked. */
  readonly slowCallDuration?: number;
  /**
   * With a window strategy: open when slow calls / calls in the window reach this ratio, in (0, 1]. Default 1.
   * Not allowed with `consecutive`, where a slow call simply counts like a failure.
   */
  readonly slowCallRatio?: number;
  /** A snapshot from `snapshot()` to start from. A malformed one throws InvalidOptionError. */
  readonly initialState?: BreakerSnapshot;
  /**
   * Shares the circuit's open / half-open state with the breakers of other processes that protect the same
   * dependency (e.g. `redisCircuitSync` from `@bulwark/redis`): an open circuit anywhere opens it here, a success
   * closes it everywhere, and half-open probes are limited fleet-wide, through a permit asked of the sync before
   * each probe. The closed path never waits for it. A sync serves one breaker. Default: none (a local circuit).
   */
  readonly sync?: CircuitSync;
  /**
   * Manual control shared with other breakers or not (`breakerControl()`): open for a duration or until an instant,
   * hold closed, release. Default: none (the strategy alone decides).
   */
  readonly control?: BreakerControl;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'circuitBreaker'`. */
  readonly name?: string;
}

/** A breaker's options, checked and with their defaults: what the breaker runs with. */
export interface BreakerSettings {
  readonly name: string;
  readonly strategy: BreakerStrategy;
  readonly halfOpenAfter: number | Backoff;
  readonly breakDuration: ((stats: BreakStats) => number) | undefined;
  readonly halfOpenProbes: number;
  /** Probe successes that close a half-open circuit, from `halfOpenSuccessThreshold` or `halfOpenFailureRatio`. */
  readonly halfOpenSuccesses: number;
  readonly halfOpenWait: boolean;
  readonly autoHalfOpen: boolean;
  readonly maxHalfOpenDuration: number | undefined;
  readonly handle: ((error: unknown) => boolean) | undefined;
  readonly handleResult: ((value: unknown) => boolean) | undefined;
  readonly deferResult: ((value: unknown) => boolean) | undefined;
  readonly breakFor: ((outcome: BreakOutcome) => number | undefined) | undefined;
  readonly slowCallDuration: number | undefined;
  /**
   * The slow-call threshold a window strategy compares with (1 by default); never read without `slowCallDuration`
   * (no call is slow) nor by `consecutive` (which has no ratio).
   */
  readonly slowCallRatio: number | undefined;
  readonly clock: Clock;
  readonly initialState: BreakerSnapshot | undefined;
  readonly sync: CircuitSync | undefined;
  readonly control: BreakerControl | undefined;
  /** The sync's `acquireTimeoutMs`, checked (its default when the sync has none). */
  readonly acquireTimeoutMs: number;
}

const SYNC_METHODS = ['attach', 'opened', 'closed', 'acquireProbe'] as const;
const CONTROL_METHODS = ['attach', 'openFor', 'openUntil', 'forceClosed', 'release'] as const;

const DEFAULT_STRATEGY = /* @__PURE__ */ consecutive(5);

/** Checks every option (in the order they are documented) and fills in the defaults; throws InvalidOptionError. */
export function breakerSettings(options: CircuitBreakerOptions | undefined): BreakerSettings {
  const name = policyName(options, 'circuitBreaker');
  const o = options ?? {};
  const strategy = orDefault(o.strategy, DEFAULT_STRATEGY);
  if (typeof strategy?.start !== 'function') {
    throw new InvalidOptionError(
      'strategy',
      `expected consecutive(n), countWindow(...) or timeWindow(...), got ${describe(strategy)}`,
    );
  }
  const halfOpenAfter = requireHalfOpenAfter(orDefault(o.halfOpenAfter, 5_000));
  const breakDuration = optionalFunction<(stats: BreakStats) => number>('breakDuration', o.breakDuration);
  const halfOpenProbes = requireInteger('halfOpenProbes', orDefault(o.halfOpenProbes, 1), 1);
  const halfOpenSuccesses = halfOpenSuccessesOf(o, halfOpenProbes);
  const maxHalfOpenDuration =
    o.maxHalfOpenDuration === undefined
      ? undefined
      : requirePositive('maxHalfOpenDuration', o.maxHalfOpenDuration);
  const autoHalfOpen = optionalBoolean('autoHalfOpen', o.autoHalfOpen) === true;
  const halfOpenWait = optionalBoolean('halfOpenWait', o.halfOpenWait) ?? false;
  const handle = optionalFunction<(error: unknown) => boolean>('handle', o.handle);
  const handleResult = optionalFunction<(value: unknown) => boolean>('handleResult', o.handleResult);
  const deferResult = optionalFunction<(value: unknown) => boolean>('deferResult', o.deferResult);
  const breakFor = optionalFunction<(outcome: BreakOutcome) => number | undefined>('breakFor', o.breakFor);
  const slowCallDuration =
    o.slowCallDuration === undefined ? undefined : requirePositive('slowCallDuration', o.slowCallDuration);
  const slowCallRatio = slowCallRatioOf(o.slowCallRatio, slowCallDuration, strategy);
  const clock = clockOf(o.clock);
  const initialState = o.initialState === undefined ? undefined : parseSnapshot(o.initialState);
  const sync =
    o.sync === undefined
      ? undefined
      : requireMethods<CircuitSync>('sync', o.sync, SYNC_METHODS, 'a CircuitSync');
  if (sync !== undefined && halfOpenSuccesses < halfOpenProbes) {
    throw new InvalidOptionError(
      o.halfOpenFailureRatio !== undefined ? 'halfOpenFailureRatio' : 'halfOpenSuccessThreshold',
      'a shared circuit (sync) judges its half-open probes fleet-wide, where every probe must succeed',
    );
  }
  // Checked by shape, so a breaker without a control does not bundle the control's module.
  const control =
    o.control === undefined
      ? undefined
      : requireMethods<BreakerControl>('control', o.control, CONTROL_METHODS, 'breakerControl()');
  const acquireTimeoutMs = requirePositive(
    'sync.acquireTimeoutMs',
    orDefault(sync?.acquireTimeoutMs, DEFAULT_ACQUIRE_TIMEOUT_MS),
  );
  return {
    name,
    strategy,
    halfOpenAfter,
    breakDuration,
    halfOpenProbes,
    halfOpenSuccesses,
    halfOpenWait,
    autoHalfOpen,
    maxHalfOpenDuration,
    handle,
    handleResult,
    deferResult,
    breakFor,
    slowCallDuration,
    slowCallRatio,
    clock,
    initialState,
    sync,
    control,
    acquireTimeoutMs,
  };
}

function requireHalfOpenAfter(value: unknown): number | Backoff {
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

function slowCallRatioOf(
  ratio: number | undefined,
  slowCallDuration: number | undefined,
  strategy: BreakerStrategy,
): number | undefined {
  if (ratio !== undefined) {
    requirePositiveRatio('slowCallRatio', ratio);
    if (slowCallDuration === undefined) {
      throw new InvalidOptionError('slowCallRatio', 'needs slowCallDuration (which calls are slow)');
    }
    if (strategy.kind === 'consecutive') {
      throw new InvalidOptionError(
        'slowCallRatio',
        'consecutive(n) has no ratio (a slow call counts as a failure); use countWindow or timeWindow',
      );
    }
  }
  // Without slowCallDuration no call is slow, and consecutive(n) has no ratio: the ratio is then never read.
  return ratio ?? 1;
}

/** The probe successes that close a half-open circuit: a threshold, or the complement of a failure ratio. */
function halfOpenSuccessesOf(o: CircuitBreakerOptions, probes: number): number {
  const { halfOpenSuccessThreshold: threshold, halfOpenFailureRatio: ratio } = o;
  if (threshold !== undefined && ratio !== undefined) {
    throw new InvalidOptionError(
      'halfOpenFailureRatio',
      'give halfOpenSuccessThreshold or halfOpenFailureRatio, not both',
    );
  }
  if (ratio !== undefined) {
    requirePositiveRatio('halfOpenFailureRatio', ratio);
    // Reopen at failures >= ratio × probes: the failures tolerated are the fewer, the successes needed the rest.
    return probes - (Math.ceil(ratio * probes - 1e-9) - 1);
  }
  const successes = requireInteger('halfOpenSuccessThreshold', orDefault(threshold, probes), 1);
  if (successes > probes) {
    throw new InvalidOptionError(
      'halfOpenSuccessThreshold',
      `expected at most halfOpenProbes (${probes}), got ${successes}`,
    );
  }
  return successes;
}

/** A finished call, as the breaker's `breakFor` option sees it: its error, or its value. */
export type BreakOutcome =
  | {
      /** The call threw (or rejected). */
      readonly failed: true;
      /** What it threw. */
      readonly error: unknown;
    }
  | {
      /** The call returned. */
      readonly failed: false;
      /** What it returned. */
      readonly value: unknown;
    };

/** What the breaker's `breakDuration` option sees when the circuit opens. */
export interface BreakStats {
  /**
   * The calls behind the decision: the strategy's window when a closed circuit trips (the failures in a row for
   * `consecutive`), the probes judged when a half-open circuit reopens.
   */
  readonly calls: number;
  /** The failed ones among them (slow calls count as failures for `consecutive` and for probes). */
  readonly failures: number;
  /** failures / calls (0 with no calls). */
  readonly failureRatio: number;
  /** This break's number in the series of breaks since the circuit last closed: 1, 2, 3... */
  readonly breaks: number;
  /** Half-open states that reopened since the circuit last closed (Polly's HalfOpenAttempts): `breaks - 1`. */
  readonly halfOpenAttempts: number;
  /** The break `halfOpenAfter` gives for this opening (a Backoff's next delay): the fallback. */
  readonly halfOpenAfter: number;
}
