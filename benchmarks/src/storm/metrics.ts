import { durationOf, phaseStart, type Scenario } from './scenario.js';
import { OK, OVERLOADED, QUOTA } from './service/model.js';
import type { RunLogs } from './workload.js';

/** The figures the report prints for one strategy's run (scenario time and rates). */
export interface StormMetrics {
  readonly issued: number;
  readonly completed: number;
  readonly failed: number;
  /** Requests the service received, refused ones included. */
  readonly received: number;
  /** What the service answered: 200s, 503s (over capacity), 429s (quota). */
  readonly answered: { readonly ok: number; readonly overloaded: number; readonly quota: number };
  /** received / issued. */
  readonly amplification: number;
  /** Requests the service refused (503 + 429) / issued: the load that bought nothing. */
  readonly wasted: number;
  /** Highest request rate (req/s) the service saw in one bucket during the overload. */
  readonly peakOverloadRate: number;
  /**
   * Scenario ms from capacity returning until the clients and the service are healthy and stay so for
   * RECOVERY_SUSTAIN_MS (or to the end of the run); null when they never were.
   */
  readonly recoveryMs: number | null;
  /** Latency of every logical request, successful or not (scenario ms). */
  readonly p50: number;
  readonly p99: number;
  /** Latency of the successful ones. */
  readonly okP50: number;
  readonly okP99: number;
  /** Requests still pending at the hard stop (counted as failed). */
  readonly abandoned: number;
  /** The client thread's event-loop delay during the run, p99 and max (real ms). */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** The service thread's longest event-loop stall (real ms). */
  readonly serviceLoopDelayMaxMs: number;
  /** Per bucket: requests the service received, as a rate (req/s). */
  readonly serviceRate: readonly number[];
  /** Per bucket: requests the service served (200), as a rate (req/s). */
  readonly servedRate: readonly number[];
}

/** A bucketed window is healthy when at least this share of its requests succeeded (client) / were served. */
export const HEALTHY_SHARE = 0.95;
/** Buckets per window of the recovery rule: one stray failure cannot hide a recovery, a storm cannot pass. */
export const RECOVERY_WINDOW_BUCKETS = 5;
/**
 * How long (scenario ms) every window must stay healthy for the recovery to count: long enough to catch a
 * breaker that flaps or a retry backlog that comes back, short enough that a stall of the measuring machine
 * long after the recovery does not erase it.
 */
export const RECOVERY_SUSTAIN_MS = 30_000;

/** The q-quantile (0..1) of values by the nearest-rank rule; NaN for no values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** Counts `times` into buckets of `bucketMs` from 0 (times outside [0, buckets x bucketMs) are dropped). */
export function bucketCounts(
  times: ArrayLike<number>,
  bucketMs: number,
  buckets: number,
  include: (i: number) => boolean = () => true,
): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (let i = 0; i < times.length; i++) {
    const time = times[i]!;
    const b = Math.floor(time / bucketMs);
    if (time >= 0 && b < buckets && include(i)) counts[b]!++;
  }
  return counts;
}

export interface Series {
  readonly good: readonly number[];
  readonly total: readonly number[];
  /** Whether a window with no requests counts as healthy (the service's: nothing refused). */
  readonly emptyIsGood: boolean;
}

/** True when the window of `windowBuckets` buckets from `b` (clipped at `end`) is healthy in every series. */
function healthyAt(
  series: readonly Series[],
  b: number,
  end: number,
  windowBuckets: number,
  share: number,
): boolean {
  const last = Math.min(end, b + windowBuckets);
  for (const s of series) {
    let good = 0;
    let total = 0;
    for (let k = b; k < last; k++) {
      good += s.good[k]!;
      total += s.total[k]!;
    }
    if (total === 0 ? !s.emptyIsGood : good / total < share) return false;
  }
  return true;
}

/**
 * First bucket index b >= `from` such that every window of `windowBuckets` buckets starting in
 * [b, b + `sustainBuckets`) (clipped at `end`) has a good/total share of at least `share` in every series, or
 * the start of a healthy stretch that lasts to `end`; `end` when there is none.
 */
export function stableFrom(
  series: readonly Series[],
  from: number,
  end: number,
  windowBuckets: number,
  share: number,
  sustainBuckets: number = end,
): number {
  let run = 0;
  for (let b = from; b < end; b++) {
    run = healthyAt(series, b, end, windowBuckets, share) ? run + 1 : 0;
    if (run >= sustainBuckets) return b - run + 1;
  }
  return end - run;
}

export function computeMetrics(scenario: Scenario, logs: RunLogs): StormMetrics {
  const { client, service } = logs;
  const bucketMs = scenario.bucketMs;
  const buckets = Math.ceil(durationOf(scenario) / bucketMs);
  const perSecond = 1000 / bucketMs;

  const issued = client.issued.length;
  let completed = 0;
  const latencies = new Float64Array(issued);
  const okLatencies: number[] = [];
  for (let i = 0; i < issued; i++) {
    const latency = client.ended[i]! - client.issued[i]!;
    latencies[i] = latency;
    if (client.ok[i] === 1) {
      completed++;
      okLatencies.push(latency);
    }
  }

  const received = bucketCounts(service.times, bucketMs, buckets);
  const served = bucketCounts(service.times, bucketMs, buckets, (i) => service.outcomes[i] === OK);
  const overloadStart = Math.floor(phaseStart(scenario, 'overload') / bucketMs);
  const recoveryStart = Math.floor(phaseStart(scenario, 'recovery') / bucketMs);
  let peak = 0;
  for (let b = overloadStart; b < recoveryStart; b++) peak = Math.max(peak, received[b]! * perSecond);

  const issuedPerBucket = bucketCounts(client.issued, bucketMs, buckets);
  const okPerBucket = bucketCounts(client.issued, bucketMs, buckets, (i) => client.ok[i] === 1);
  const stable = stableFrom(
    [
      { good: okPerBucket, total: issuedPerBucket, emptyIsGood: false },
      { good: served, total: received, emptyIsGood: true },
    ],
    recoveryStart,
    buckets,
    RECOVERY_WINDOW_BUCKETS,
    HEALTHY_SHARE,
    Math.ceil(RECOVERY_SUSTAIN_MS / bucketMs),
  );

  const answered = { ok: 0, overloaded: 0, quota: 0 };
  for (const outcome of service.outcomes) {
    if (outcome === OK) answered.ok++;
    else if (outcome === OVERLOADED) answered.overloaded++;
    else if (outcome === QUOTA) answered.quota++;
  }

  return {
    issued,
    completed,
    failed: issued - completed,
    received: service.times.length,
    answered,
    amplification: issued === 0 ? Number.NaN : service.times.length / issued,
    wasted: issued === 0 ? Number.NaN : (answered.overloaded + answered.quota) / issued,
    peakOverloadRate: peak,
    recoveryMs: stable >= buckets ? null : (stable - recoveryStart) * bucketMs,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    okP50: quantile(okLatencies, 0.5),
    okP99: quantile(okLatencies, 0.99),
    abandoned: client.abandoned,
    loopDelayP99Ms: client.loopDelayP99Ms,
    loopDelayMaxMs: client.loopDelayMaxMs,
    serviceLoopDelayMaxMs: service.loopDelayMaxMs,
    serviceRate: received.map((n) => n * perSecond),
    servedRate: served.map((n) => n * perSecond),
  };
}
