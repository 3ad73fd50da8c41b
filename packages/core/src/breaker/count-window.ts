import { InvalidOptionError } from '../errors.js';
import {
  optionsOf,
  orDefault,
  requireInteger,
  requireIntegerIn,
  requirePositiveRatio,
} from '../internal/validate.js';
import {
  type BreakerStrategy,
  FAILED,
  type HealthTracker,
  ratioStats,
  ratioTrips,
  SLOW,
  type WindowSnapshot,
  type WindowStats,
} from './strategy.js';

/** Options of {@link countWindow}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface CountWindowOptions {
  /** How many of the most recent calls the window holds. Default 100. */
  readonly size?: number;
  /** Open when failed calls / calls in the window reach this ratio, in (0, 1]. Default 0.5. */
  readonly failureRatio?: number;
  /** No decision before the window holds this many calls (1..size). Default: the smaller of size and 10. */
  readonly minimumCalls?: number;
}

/** The last `size` outcomes in a ring, with running counts so a call costs O(1). */
class CountWindowTracker implements HealthTracker {
  private readonly ring: Uint8Array;
  private head = 0;
  private calls = 0;
  private failures = 0;
  private slow = 0;

  constructor(
    private readonly strategy: CountWindowStrategy,
    private readonly slowCallRatio: number | undefined,
  ) {
    this.ring = new Uint8Array(strategy.size);
  }

  record(failed: boolean, slow: boolean): boolean {
    this.push((failed ? FAILED : 0) | (slow ? SLOW : 0));
    const s = this.strategy;
    return ratioTrips(
      this.calls,
      this.failures,
      this.slow,
      s.minimumCalls,
      s.failureRatio,
      this.slowCallRatio,
    );
  }

  private push(bits: number): void {
    const ring = this.ring;
    if (this.calls === ring.length) {
      const old = ring[this.head]!;
      this.failures -= old & FAILED;
      this.slow -= old >> 1;
    } else {
      this.calls++;
    }
    ring[this.head] = bits;
    this.failures += bits & FAILED;
    this.slow += bits >> 1;
    if (++this.head === ring.length) this.head = 0;
  }

  stats(): WindowStats {
    return ratioStats(this.calls, this.failures, this.slow, this.strategy.failureRatio);
  }

  clear(): void {
    // The ring keeps its old bits: a slot is read only once the ring is full again, every slot rewritten by then.
    this.head = this.calls = this.failures = this.slow = 0;
  }

  save(): WindowSnapshot {
    const outcomes: number[] = [];
    const size = this.ring.length;
    const first = this.calls === size ? this.head : 0;
    for (let i = 0; i < this.calls; i++) outcomes.push(this.ring[(first + i) % size]!);
    return { kind: 'countWindow', outcomes };
  }

  load(snapshot: WindowSnapshot): void {
    if (snapshot.kind !== 'countWindow') return;
    // Replaying keeps the newest `size` outcomes when the saved window was larger.
    for (const bits of snapshot.outcomes) this.push(bits);
  }
}

class CountWindowStrategy implements BreakerStrategy {
  readonly kind = 'countWindow' as const;
  readonly needsTime = false;
  readonly size: number;
  readonly failureRatio: number;
  readonly minimumCalls: number;

  constructor(options: CountWindowOptions) {
    this.size = requireIntegerIn('size', orDefault(options.size, 100), 1, 1_000_000);
    this.failureRatio = requirePositiveRatio('failureRatio', orDefault(options.failureRatio, 0.5));
    this.minimumCalls = requireInteger(
      'minimumCalls',
      orDefault(options.minimumCalls, Math.min(this.size, 10)),
      1,
    );
    if (this.minimumCalls > this.size) {
      // The window could never hold enough calls: the breaker would silently never open.
      throw new InvalidOptionError(
        'minimumCalls',
        `must not exceed size (${this.size}), got ${this.minimumCalls}`,
      );
    }
    Object.freeze(this);
  }

  start(slowCallRatio: number | undefined): HealthTracker {
    return new CountWindowTracker(this, slowCallRatio);
  }
}

/** Opens when the failure ratio of the last `size` calls reaches `failureRatio` (after `minimumCalls` calls). */
export function countWindow(options?: CountWindowOptions): BreakerStrategy & {
  /** Calls the window holds: {@link CountWindowOptions.size} (default 100). */
  readonly size: number;
  /** The failure ratio that opens the circuit: {@link CountWindowOptions.failureRatio} (default 0.5). */
  readonly failureRatio: number;
  /** Calls needed before any decision: {@link CountWindowOptions.minimumCalls} (default min(size, 10)). */
  readonly minimumCalls: number;
} {
  return new CountWindowStrategy(optionsOf(options));
}
