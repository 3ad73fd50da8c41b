/**
 * A breaker strategy is an immutable description (like a Backoff): each breaker starts its own tracker from it,
 * so one strategy value can be shared by any number of breakers (one per key, per host...).
 */

/** How many outcomes of which kind a window holds: what `snapshot()` saves for a window strategy. */
export type WindowSnapshot =
  | {
      /** Saved by {@link consecutive}. */
      readonly kind: 'consecutive';
      /** Failures in a row so far. */
      readonly failures: number;
    }
  | {
      /** Saved by {@link countWindow}. */
      readonly kind: 'countWindow';
      /** Oldest first; each entry is 0 (ok), 1 (failed), 2 (slow) or 3 (failed and slow). */
      readonly outcomes: readonly number[];
    }
  | {
      /** Saved by {@link timeWindow}. */
      readonly kind: 'timeWindow';
      /** Live buckets, each `[midpoint (clock ms), calls, failures, slow]`. */
      readonly buckets: readonly (readonly [number, number, number, number])[];
    };

/** Which strategy a breaker uses: 'consecutive', 'countWindow' or 'timeWindow'. */
export type StrategyKind = WindowSnapshot['kind'];

/**
 * Which threshold of its strategy a closed circuit reached: failures in a row (`consecutive`), the failure ratio or
 * the slow-call ratio of a window, or a time window's `failureCount`.
 */
export type ExceededThreshold = 'consecutiveFailures' | 'failureRatio' | 'slowCallRatio' | 'failureCount';

/** A strategy's counts when it decided to open the circuit, and the threshold they reached. */
export interface WindowStats {
  /** The threshold reached (the first that applies, in the order failureCount, failureRatio, slowCallRatio). */
  readonly threshold: ExceededThreshold;
  /** Counted calls in the window (for `consecutive`: the failures in a row). */
  readonly calls: number;
  /** Failed calls among them (for `consecutive`, slow calls included). */
  readonly failures: number;
  /** Slow calls among them (0 for `consecutive`, where a slow call counts as a failure). */
  readonly slowCalls: number;
}

/** @internal The per-breaker counters a strategy starts. */
export interface HealthTracker {
  /** Records one counted call; true means "open the circuit now". `now` is only meaningful if `needsTime`. */
  record(failed: boolean, slow: boolean, now: number): boolean;
  /** The counts and the threshold they reached, read when `record` said to open (before `clear`). */
  stats(): WindowStats;
  /** Forgets every outcome (the circuit closed or was reset). */
  clear(): void;
  save(now: number): WindowSnapshot;
  /**
   * Loads a validated snapshot into this fresh tracker (at the breaker's construction); a window of another kind
   * is ignored, and a saved window may come from another configuration.
   */
  load(snapshot: WindowSnapshot, now: number): void;
}

/** Decides from the calls' outcomes when a closed circuit opens. Build one with `consecutive`, `countWindow` or `timeWindow`. */
export interface BreakerStrategy {
  /** Which builder made the strategy. */
  readonly kind: StrategyKind;
  /** True when the strategy reads the clock for every outcome (time windows). */
  readonly needsTime: boolean;
  /**
   * @internal Starts the counters of one breaker. `slowCallRatio` is the breaker's slow-call threshold
   * (undefined when slow calls are not tracked or the strategy has no ratio).
   */
  start(slowCallRatio: number | undefined): HealthTracker;
}

/** The outcome bits a count window stores per call. */
export const FAILED = 1;
export const SLOW = 2;

/** The shared ratio rule of the window strategies; no `failureRatio`: only slow calls have a ratio. */
export function ratioTrips(
  calls: number,
  failures: number,
  slow: number,
  minimumCalls: number,
  failureRatio: number | undefined,
  slowCallRatio: number | undefined,
): boolean {
  if (calls < minimumCalls) return false;
  if (failureRatio !== undefined && failures !== 0 && failures / calls >= failureRatio) return true;
  return slowCallRatio !== undefined && slow !== 0 && slow / calls >= slowCallRatio;
}

/** A window's stats once its ratio rule tripped: the failure ratio if reached, else the slow-call ratio. */
export function ratioStats(
  calls: number,
  failures: number,
  slowCalls: number,
  failureRatio: number | undefined,
): WindowStats {
  const threshold =
    failureRatio !== undefined && failures / calls >= failureRatio ? 'failureRatio' : 'slowCallRatio';
  return { threshold, calls, failures, slowCalls };
}
