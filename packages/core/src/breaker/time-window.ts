import {
  optionsOf,
  orDefault,
  requireInteger,
  requireIntegerIn,
  requirePositive,
} from '../internal/validate.js';
import { type BreakerStrategy, type HealthTracker, ratioTrips, type WindowSnapshot } from './strategy.js';
import { requireFailureRatio } from './validate.js';

export interface TimeWindowOptions {
  /** Length of the window (ms). Default 30 000. */
  readonly duration?: number;
  /** Open when failed calls / calls in the window reach this ratio, in (0, 1]. Default 0.5. */
  readonly failureRatio?: number;
  /** No decision before the window holds this many calls. Default 10. */
  readonly minimumCalls?: number;
  /** How many slices the window is cut into (1..1000); more slices follow time more finely. Default 10. */
  readonly buckets?: number;
}

/**
 * Outcomes counted in `buckets` slices of `duration / buckets` ms, aligned on clock time. A slice leaves the
 * window as soon as any part of it is older than `duration`, so an outcome older than the window never counts
 * (one younger than it may stop counting up to one slice early).
 */
class TimeWindowTracker implements HealthTracker {
  private readonly calls: Float64Array;
  private readonly failures: Float64Array;
  private readonly slow: Float64Array;
  /** Index (time / width) of the newest slice; slices head-buckets+1..head are live. */
  private head = Number.NEGATIVE_INFINITY;
  private totalCalls = 0;
  private totalFailures = 0;
  private totalSlow = 0;

  constructor(
    private readonly strategy: TimeWindowStrategy,
    private readonly slowCallRatio: number | undefined,
  ) {
    const n = strategy.buckets;
    this.calls = new Float64Array(n);
    this.failures = new Float64Array(n);
    this.slow = new Float64Array(n);
  }

  record(failed: boolean, slow: boolean, now: number): boolean {
    const slot = this.slotAt(now);
    this.calls[slot]!++;
    this.totalCalls++;
    if (failed) {
      this.failures[slot]!++;
      this.totalFailures++;
    }
    if (slow) {
      this.slow[slot]!++;
      this.totalSlow++;
    }
    const s = this.strategy;
    return ratioTrips(
      this.totalCalls,
      this.totalFailures,
      this.totalSlow,
      s.minimumCalls,
      s.failureRatio,
      this.slowCallRatio,
    );
  }

  /** Expires the slices that left the window by `now` and returns the slot of the current one. */
  private slotAt(now: number): number {
    const n = this.strategy.buckets;
    const index = Math.floor(now / this.strategy.bucketMs);
    // A wall clock stepping back counts into the newest slice rather than resurrecting an expired one.
    if (index > this.head) {
      if (index - this.head >= n) this.clear();
      else for (let i = this.head + 1; i <= index; i++) this.empty(slotOf(i, n));
      this.head = index;
    }
    return slotOf(this.head, n);
  }

  private empty(slot: number): void {
    this.totalCalls -= this.calls[slot]!;
    this.totalFailures -= this.failures[slot]!;
    this.totalSlow -= this.slow[slot]!;
    this.calls[slot] = this.failures[slot] = this.slow[slot] = 0;
  }

  clear(): void {
    this.calls.fill(0);
    this.failures.fill(0);
    this.slow.fill(0);
    this.totalCalls = this.totalFailures = this.totalSlow = 0;
  }

  save(now: number): WindowSnapshot {
    this.slotAt(now);
    const { buckets: n, bucketMs } = this.strategy;
    const buckets: [number, number, number, number][] = [];
    for (let i = this.head - n + 1; i <= this.head; i++) {
      const slot = slotOf(i, n);
      const calls = this.calls[slot]!;
      if (calls > 0) buckets.push([(i + 0.5) * bucketMs, calls, this.failures[slot]!, this.slow[slot]!]);
    }
    return { kind: 'timeWindow', buckets };
  }

  load(snapshot: WindowSnapshot, now: number): void {
    if (snapshot.kind !== 'timeWindow') return;
    this.clear();
    this.slotAt(now);
    const n = this.strategy.buckets;
    for (const [at, calls, failures, slow] of snapshot.buckets) {
      const index = Math.floor(at / this.strategy.bucketMs);
      if (index <= this.head - n) continue; // already expired
      const slot = slotOf(Math.min(index, this.head), n);
      this.calls[slot]! += calls;
      this.failures[slot]! += failures;
      this.slow[slot]! += slow;
      this.totalCalls += calls;
      this.totalFailures += failures;
      this.totalSlow += slow;
    }
  }
}

function slotOf(index: number, n: number): number {
  const slot = index % n;
  return slot < 0 ? slot + n : slot;
}

class TimeWindowStrategy implements BreakerStrategy {
  readonly kind = 'timeWindow' as const;
  readonly needsTime = true;
  readonly duration: number;
  readonly failureRatio: number;
  readonly minimumCalls: number;
  readonly buckets: number;
  readonly bucketMs: number;

  constructor(options: TimeWindowOptions) {
    this.duration = requirePositive('duration', orDefault(options.duration, 30_000));
    this.failureRatio = requireFailureRatio('failureRatio', orDefault(options.failureRatio, 0.5));
    this.minimumCalls = requireInteger('minimumCalls', orDefault(options.minimumCalls, 10), 1);
    this.buckets = requireIntegerIn('buckets', orDefault(options.buckets, 10), 1, 1000);
    this.bucketMs = this.duration / this.buckets;
    Object.freeze(this);
  }

  start(slowCallRatio: number | undefined): HealthTracker {
    return new TimeWindowTracker(this, slowCallRatio);
  }
}

/**
 * Opens when the failure ratio of the calls of the last `duration` ms reaches `failureRatio` (after
 * `minimumCalls` calls in the window). Old outcomes really expire.
 */
export function timeWindow(options?: TimeWindowOptions): BreakerStrategy & {
  readonly duration: number;
  readonly failureRatio: number;
  readonly minimumCalls: number;
  readonly buckets: number;
} {
  return new TimeWindowStrategy(optionsOf(options));
}
