import {
  optionsOf,
  orDefault,
  requireInteger,
  requireIntegerIn,
  requirePositive,
  requirePositiveRatio,
} from '../internal/validate.js';
import { SlidingCounter } from '../internal/sliding-counter.js';
import {
  type BreakerStrategy,
  type HealthTracker,
  ratioStats,
  ratioTrips,
  type WindowSnapshot,
  type WindowStats,
} from './strategy.js';

/** Options of {@link timeWindow}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface TimeWindowOptions {
  /** Length of the window (ms). Default 30 000. */
  readonly duration?: number;
  /**
   * Open when failed calls / calls in the window reach this ratio, in (0, 1]. Default 0.5, or none when
   * `failureCount` is given (then only the count decides, unless both are given).
   */
  readonly failureRatio?: number;
  /**
   * Open when this many failures (an integer >= 1) fell in the window, whatever the ratio and `minimumCalls`
   * (failsafe-go's failure threshold over a period). With `failureRatio` too, whichever is reached first opens.
   * Default: none.
   */
  readonly failureCount?: number;
  /** No decision on a ratio before the window holds this many calls. Default 10. */
  readonly minimumCalls?: number;
  /** How many slices the window is cut into (1..1000); more slices follow time more finely. Default 10. */
  readonly buckets?: number;
}

/** Channels of the counter. */
const CALLS = 0;
const FAILURES = 1;
const SLOW = 2;

/**
 * Outcomes counted in `buckets` slices of `duration / buckets` ms, aligned on clock time. A slice leaves the
 * window as soon as any part of it is older than `duration`, so an outcome older than the window never counts
 * (one younger than it may stop counting up to one slice early).
 */
class TimeWindowTracker implements HealthTracker {
  private readonly counts: SlidingCounter;

  constructor(
    private readonly strategy: TimeWindowStrategy,
    private readonly slowCallRatio: number | undefined,
  ) {
    this.counts = new SlidingCounter(strategy.buckets, 3);
  }

  record(failed: boolean, slow: boolean, now: number): boolean {
    const counts = this.counts;
    counts.advance(this.sliceAt(now));
    counts.add(CALLS);
    if (failed) counts.add(FAILURES);
    if (slow) counts.add(SLOW);
    const s = this.strategy;
    if (failed && counts.total(FAILURES) >= s.failureCount) return true;
    return ratioTrips(
      counts.total(CALLS),
      counts.total(FAILURES),
      counts.total(SLOW),
      s.minimumCalls,
      s.failureRatio,
      this.slowCallRatio,
    );
  }

  /**
   * The slice of `now`: floor(now / width), the rule snapshots were written with. A wall clock stepping back
   * counts into the newest slice rather than resurrecting an expired one (the counter never moves back).
   */
  private sliceAt(now: number): number {
    return Math.floor(now / this.strategy.bucketMs);
  }

  stats(): WindowStats {
    const counts = this.counts;
    const failures = counts.total(FAILURES);
    const stats = ratioStats(counts.total(CALLS), failures, counts.total(SLOW), this.strategy.failureRatio);
    return failures >= this.strategy.failureCount ? { ...stats, threshold: 'failureCount' } : stats;
  }

  clear(): void {
    this.counts.clear();
  }

  save(now: number): WindowSnapshot {
    const counts = this.counts;
    counts.advance(this.sliceAt(now));
    const { buckets: n, bucketMs } = this.strategy;
    const buckets: [number, number, number, number][] = [];
    for (let i = counts.newest - n + 1; i <= counts.newest; i++) {
      const calls = counts.at(i, CALLS);
      if (calls > 0) buckets.push([(i + 0.5) * bucketMs, calls, counts.at(i, FAILURES), counts.at(i, SLOW)]);
    }
    return { kind: 'timeWindow', buckets };
  }

  load(snapshot: WindowSnapshot, now: number): void {
    if (snapshot.kind !== 'timeWindow') return;
    const counts = this.counts;
    counts.advance(this.sliceAt(now));
    for (const [at, calls, failures, slow] of snapshot.buckets) {
      // A slice already expired is dropped; one from a clock ahead of ours counts in the newest.
      const index = this.sliceAt(at);
      if (!counts.addAt(index, CALLS, calls)) continue;
      counts.addAt(index, FAILURES, failures);
      counts.addAt(index, SLOW, slow);
    }
  }
}

class TimeWindowStrategy implements BreakerStrategy {
  readonly kind = 'timeWindow' as const;
  readonly needsTime = true;
  readonly duration: number;
  readonly failureRatio: number | undefined;
  /** Failures in the window that open the circuit; Infinity: no count. */
  readonly failureCount: number;
  readonly minimumCalls: number;
  readonly buckets: number;
  readonly bucketMs: number;

  constructor(options: TimeWindowOptions) {
    this.duration = requirePositive('duration', orDefault(options.duration, 30_000));
    const count = options.failureCount;
    this.failureRatio =
      count !== undefined && options.failureRatio === undefined
        ? undefined
        : requirePositiveRatio('failureRatio', orDefault(options.failureRatio, 0.5));
    this.failureCount =
      count === undefined ? Number.POSITIVE_INFINITY : requireInteger('failureCount', count, 1);
    this.minimumCalls = requireInteger('minimumCalls', orDefault(options.minimumCalls, 10), 1);
    this.buckets = requireIntegerIn('buckets', orDefault(options.buckets, 10), 1, 1000);
    this.bucketMs = this.duration / this.buckets;
    Object.freeze(this);
  }

  start(slowCallRatio: number | undefined): HealthTracker {
    return new TimeWindowTracker(this, slowCallRatio);
  }
}

/** What {@link timeWindow} returns: the strategy and its settings. */
export interface TimeWindowStrategyOf<Ratio extends number | undefined> extends BreakerStrategy {
  /** The window's length (ms): {@link TimeWindowOptions.duration} (default 30 000). */
  readonly duration: number;
  /**
   * The failure ratio that opens the circuit: {@link TimeWindowOptions.failureRatio} (default 0.5; undefined for a
   * window given only a `failureCount`).
   */
  readonly failureRatio: Ratio;
  /** Failures in the window that open the circuit: {@link TimeWindowOptions.failureCount}; Infinity when none. */
  readonly failureCount: number;
  /** Calls needed in the window before a decision on a ratio: {@link TimeWindowOptions.minimumCalls} (default 10). */
  readonly minimumCalls: number;
  /** Slices the window is cut into: {@link TimeWindowOptions.buckets} (default 10). */
  readonly buckets: number;
}

/**
 * Opens when `failureCount` failures fell in the last `duration` ms: a count over a period, whatever the ratio.
 * Old outcomes really expire.
 */
export function timeWindow(
  options: TimeWindowOptions & { readonly failureCount: number; readonly failureRatio?: undefined },
): TimeWindowStrategyOf<undefined>;
/**
 * Opens when the failure ratio of the calls of the last `duration` ms reaches `failureRatio` (after
 * `minimumCalls` calls in the window), or when `failureCount` failures fell in it, if given. Old outcomes really
 * expire.
 */
export function timeWindow(options?: TimeWindowOptions): TimeWindowStrategyOf<number>;
export function timeWindow(options?: TimeWindowOptions): TimeWindowStrategyOf<number | undefined> {
  return new TimeWindowStrategy(optionsOf(options));
}
