import type { Clock } from '@bulwark/core';
import { phaseAt, type Scenario } from '../scenario.js';
import { SlidingCount } from './sliding-count.js';

/** What the service does with one request. */
export type Verdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'overloaded' }
  | { readonly kind: 'quota'; readonly retryDelayMs: number };

export const OK = 0;
export const OVERLOADED = 1;
export const QUOTA = 2;
export type OutcomeCode = typeof OK | typeof OVERLOADED | typeof QUOTA;

const MINUTE = 60_000;
const SLICES = 20;

/**
 * The overloaded service, in scenario time: the project quota is checked first (429 with RetryInfo, not
 * counted), then capacity (503 above it; a 503 still counts against the quota, as Gemini's do). Capacity follows
 * the scenario's phases. Pure: the clock passed in says what time it is.
 */
export class ServiceModel {
  private readonly served: SlidingCount;
  private readonly quota: SlidingCount;

  constructor(
    private readonly scenario: Scenario,
    /** Scenario time 0, on `clock`. */
    private readonly start: number,
    private readonly clock: Clock,
  ) {
    this.served = new SlidingCount(scenario.capacityWindowMs, SLICES);
    this.quota = new SlidingCount(MINUTE, 60);
  }

  /** Scenario time now (ms since the start). */
  elapsed(): number {
    return this.clock.now() - this.start;
  }

  /** Decides one request arriving now, and counts it. */
  decide(): Verdict {
    const t = this.elapsed();
    const limit = this.scenario.quotaPerMinute;
    if (this.quota.total(t) + 1 > limit) {
      return { kind: 'quota', retryDelayMs: this.quota.waitUntilAtMost(t, limit - 1) };
    }
    this.quota.add(t, 1);
    const capacity = (phaseAt(this.scenario, t).capacity * this.scenario.capacityWindowMs) / 1000;
    if (this.served.total(t) + 1 > capacity) {
      if (this.scenario.rejectCost > 0) this.served.add(t, this.scenario.rejectCost);
      return { kind: 'overloaded' };
    }
    this.served.add(t, 1);
    return { kind: 'ok' };
  }
}
