import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { measure } from 'mitata';

/** One measured operation: an async function called back to back, awaited each time. */
export interface Case {
  readonly id: string;
  readonly fn: () => Promise<unknown>;
  /** The case this one is compared with (its bare call): measured right before it in every round. */
  readonly baseline?: string;
}

export interface Timing {
  readonly id: string;
  /** Median over rounds of the mean time per call (ns). */
  readonly ns: number;
  /** Lowest and highest round mean (ns): the noise between rounds. */
  readonly nsMin: number;
  readonly nsMax: number;
  /** Median over rounds of mitata's p99 sample (ns per call within a batch). */
  readonly p99: number;
  /**
   * Median over rounds of (this case's mean / its baseline's mean measured just before it): drifts of the machine
   * between rounds cancel out. 1 for a case without a baseline.
   */
  readonly ratio: number;
  /** Bytes allocated per call (median of clean samples); NaN when no sample was free of a collection. */
  readonly bytesPerCall: number;
}

export interface MeasureOptions {
  /** Rounds per case, interleaved so that load from other processes spreads over every case. */
  readonly rounds: number;
  /** CPU time mitata spends per case per round (ms). */
  readonly minCpuMs: number;
  /** Calls per allocation sample (at most; slow cases get fewer). */
  readonly allocationCalls: number;
  /** Clean allocation samples wanted (the median is reported). */
  readonly allocationSamples: number;
}

export const fullMeasure: MeasureOptions = {
  rounds: 7,
  minCpuMs: 150,
  allocationCalls: 2_000,
  allocationSamples: 5,
};
export const smokeMeasure: MeasureOptions = {
  rounds: 1,
  minCpuMs: 1,
  allocationCalls: 10,
  allocationSamples: 1,
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const newSpaceUsed = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_used_size ?? 0;

/**
 * Bytes allocated per call: heap growth over `calls` sequential calls, in samples where no young-generation
 * collection ran (the new space only grows between collections). Needs no flag; `--expose-gc` makes it steadier.
 */
export async function bytesPerCall(fn: () => Promise<unknown>, calls: number, samples = 5): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const clean: number[] = [];
  for (let attempt = 0; attempt < samples * 2 + 2 && clean.length < samples; attempt++) {
    gc?.();
    const newBefore = newSpaceUsed();
    const before = getHeapStatistics().used_heap_size;
    for (let i = 0; i < calls; i++) await fn();
    const after = getHeapStatistics().used_heap_size;
    if (newSpaceUsed() >= newBefore && after >= before) clean.push((after - before) / calls);
  }
  return clean.length === 0 ? Number.NaN : median(clean);
}

/**
 * Times every case with mitata, in `rounds` interleaved passes (case order rotates each round), each case right
 * after its baseline, then measures allocations. Everything runs in this process, one case at a time.
 */
export async function measureCases(cases: readonly Case[], options: MeasureOptions): Promise<Timing[]> {
  const means = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const p99s = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const ratios = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  const byId = new Map(cases.map((c) => [c.id, c]));
  const time = (fn: () => Promise<unknown>, cpuMs: number) =>
    measure(fn, {
      min_cpu_time: cpuMs * 1e6,
      ...(cpuMs < 50 ? { min_samples: 2, batch_samples: 64, warmup_samples: 1 } : {}),
    });
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + round * 7) % cases.length]!;
      const base = c.baseline === undefined || c.baseline === c.id ? undefined : byId.get(c.baseline);
      const baseStats = base === undefined ? undefined : await time(base.fn, options.minCpuMs / 2);
      const stats = await time(c.fn, options.minCpuMs);
      means.get(c.id)!.push(stats.avg);
      p99s.get(c.id)!.push(stats.p99);
      ratios.get(c.id)!.push(baseStats === undefined ? 1 : stats.avg / baseStats.avg);
    }
  }
  const timings: Timing[] = [];
  for (const c of cases) {
    const rounds = means.get(c.id)!;
    // Slow cases get fewer calls per sample: a sample stays near 50 ms.
    const calls = Math.max(20, Math.min(options.allocationCalls, Math.floor(50e6 / median(rounds))));
    timings.push({
      id: c.id,
      ns: median(rounds),
      nsMin: Math.min(...rounds),
      nsMax: Math.max(...rounds),
      p99: median(p99s.get(c.id)!),
      ratio: median(ratios.get(c.id)!),
      bytesPerCall: await bytesPerCall(
        c.fn,
        Math.min(calls, options.allocationCalls),
        options.allocationSamples,
      ),
    });
  }
  return timings;
}

export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 10 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}
