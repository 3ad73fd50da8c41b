import { requireInteger } from '../internal/validate.js';
import type { BreakerStrategy, HealthTracker, WindowSnapshot, WindowStats } from './strategy.js';

class ConsecutiveTracker implements HealthTracker {
  private failures = 0;

  constructor(private readonly threshold: number) {}

  record(failed: boolean, slow: boolean): boolean {
    // With no ratio to compare against, a slow call (when tracked) is as bad as a failure.
    if (failed || slow) return ++this.failures >= this.threshold;
    this.failures = 0;
    return false;
  }

  stats(): WindowStats {
    const n = this.failures;
    return { threshold: 'consecutiveFailures', calls: n, failures: n, slowCalls: 0 };
  }

  clear(): void {
    this.failures = 0;
  }

  save(): WindowSnapshot {
    return { kind: 'consecutive', failures: this.failures };
  }

  load(snapshot: WindowSnapshot): void {
    if (snapshot.kind !== 'consecutive') return;
    // A snapshot from a larger threshold must not open the circuit by itself: the next failure may.
    this.failures = Math.min(snapshot.failures, this.threshold - 1);
  }
}

class ConsecutiveStrategy implements BreakerStrategy {
  readonly kind = 'consecutive' as const;
  readonly needsTime = false;

  constructor(readonly threshold: number) {
    Object.freeze(this);
  }

  start(): HealthTracker {
    return new ConsecutiveTracker(this.threshold);
  }
}

/**
 * Opens after `threshold` failures in a row (default 5); any counted success starts the count again.
 * With `slowCallDuration` set on the breaker, a slow call counts like a failure.
 */
export function consecutive(threshold = 5): BreakerStrategy & {
  /** Failures in a row that open the circuit (default 5). */
  readonly threshold: number;
} {
  return new ConsecutiveStrategy(requireInteger('threshold', threshold, 1));
}
