/**
 * The server-side simulations: capacity (load shedding with 503) and per-model quotas (429 with the proper
 * details). Both run on the server's clock.
 */
import { requirePositive, requireRecord } from '@bulwark/core/validate';
import { nextPacificMidnight } from '../internal/pacific-day.js';
import { SlidingWindow } from './sliding-window.js';
import type { QuotaBehaviour, QuotaLimits } from './types.js';

const SECOND = 1000;
const MINUTE = 60_000;

/** Picks a model's entry from a per-model record, falling back to `'*'`. */
function entryFor<T>(
  record: Readonly<Record<string, T>>,
  model: string,
): [key: string, value: T] | undefined {
  if (Object.hasOwn(record, model)) return [model, record[model]!];
  if (Object.hasOwn(record, '*')) return [model, record['*']!];
  return undefined;
}

/** At most N requests per second are served; above that the server sheds load. */
export class CapacityGate {
  private readonly shared: number | undefined;
  private readonly perModel: Readonly<Record<string, number>>;
  private readonly windows = new Map<string, SlidingWindow>();

  constructor(capacity: number | Readonly<Record<string, number>> | undefined) {
    if (typeof capacity === 'number' || capacity === undefined) {
      this.shared = capacity === undefined ? undefined : requirePositive('capacity', capacity);
      this.perModel = {};
    } else {
      const perModel = requireRecord('capacity', capacity, 'a number or an object keyed by model name');
      for (const [model, n] of Object.entries(perModel)) requirePositive(`capacity.${model}`, n);
      this.shared = undefined;
      this.perModel = capacity;
    }
  }

  /** True when the request fits, and then counts it. */
  admit(model: string | undefined, now: number): boolean {
    let key: string;
    let limit: number;
    if (this.shared !== undefined) {
      key = '';
      limit = this.shared;
    } else {
      const entry = model === undefined ? undefined : entryFor(this.perModel, model);
      if (entry === undefined) return true;
      [key, limit] = entry;
    }
    let window = this.windows.get(key);
    if (window === undefined) this.windows.set(key, (window = new SlidingWindow(SECOND)));
    if (window.used(now) + 1 > limit) return false;
    window.record(now);
    return true;
  }

  reset(): void {
    this.windows.clear();
  }
}

interface ModelUsage {
  readonly requests: SlidingWindow;
  readonly tokens: SlidingWindow;
  day: number;
  dayTokens: number;
  dayResetAt: number;
}

const QUOTA_KEYS = ['rpm', 'rpd', 'tpm', 'tpd'] as const;

/** Per-model RPM / TPM / RPD / TPD, answering the 429 Gemini would send when one runs out. */
export class QuotaBook {
  private readonly limits: Readonly<Record<string, QuotaLimits>>;
  private readonly usage = new Map<string, ModelUsage>();

  constructor(limits: Readonly<Record<string, QuotaLimits>> | undefined) {
    this.limits =
      limits === undefined ? {} : requireRecord('quotas', limits, 'an object keyed by model name');
    for (const [model, quota] of Object.entries(this.limits)) {
      const perModel = requireRecord(`quotas.${model}`, quota, 'an object ({ rpm, tpm, rpd, tpd })');
      for (const key of QUOTA_KEYS) {
        if (perModel[key] !== undefined) requirePositive(`quotas.${model}.${key}`, perModel[key]);
      }
    }
  }

  /**
   * Counts the request, or returns the 429 that refuses it (refused requests are not counted). With a `project`,
   * the project's own usage is counted (each project has the quotas; every key of a project shares them).
   */
  check(
    model: string | undefined,
    tokens: number,
    now: number,
    project?: string,
  ): QuotaBehaviour | undefined {
    const entry = model === undefined ? undefined : entryFor(this.limits, model);
    if (entry === undefined) return undefined;
    const [key, quota] = entry;
    const usage = this.usageOf(project === undefined ? key : `${project}\u0000${key}`, now);
    if (now >= usage.dayResetAt) {
      usage.day = 0;
      usage.dayTokens = 0;
      usage.dayResetAt = nextPacificMidnight(now);
    }
    // Gemini still sends a short RetryInfo on a per-day quota: the time to the next minute boundary.
    const toNextMinute = MINUTE - (((now % MINUTE) + MINUTE) % MINUTE);
    if (quota.rpd !== undefined && usage.day + 1 > quota.rpd) {
      return refusal('day', 'requests', quota.rpd, toNextMinute);
    }
    if (quota.tpd !== undefined && usage.dayTokens + tokens > quota.tpd) {
      return refusal('day', 'inputTokens', quota.tpd, toNextMinute);
    }
    if (quota.rpm !== undefined && usage.requests.used(now) + 1 > quota.rpm) {
      return refusal('minute', 'requests', quota.rpm, usage.requests.waitFor(now, quota.rpm));
    }
    if (quota.tpm !== undefined && usage.tokens.used(now) + tokens > quota.tpm) {
      return refusal('minute', 'inputTokens', quota.tpm, usage.tokens.waitFor(now, quota.tpm, tokens));
    }
    usage.day++;
    usage.dayTokens += tokens;
    usage.requests.record(now);
    usage.tokens.record(now, tokens);
    return undefined;
  }

  reset(): void {
    this.usage.clear();
  }

  private usageOf(key: string, now: number): ModelUsage {
    let usage = this.usage.get(key);
    if (usage === undefined) {
      usage = {
        requests: new SlidingWindow(MINUTE),
        tokens: new SlidingWindow(MINUTE),
        day: 0,
        dayTokens: 0,
        dayResetAt: nextPacificMidnight(now),
      };
      this.usage.set(key, usage);
    }
    return usage;
  }
}

function refusal(
  per: 'minute' | 'day',
  metric: 'requests' | 'inputTokens',
  limit: number,
  retryDelayMs: number,
): QuotaBehaviour {
  return { kind: 'quota', per, metric, limit, retryDelayMs };
}
