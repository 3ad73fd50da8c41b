import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { type Interval, median, medianInterval, spreadOf } from './stats.js';

/** One measured operation: an async function called back to back, awaited each time. */
export interface Case {
  readonly id: string;
  readonly fn: () => Promise<unknown>;
  /** The case this one is compared with (its bare call): timed in alternation with it, in every round. */
  readonly baseline?: string;
  /** A ratio a target or a headline depends on: rounds are added until its interval is narrow enough. */
  readonly main?: boolean;
  /**
   * 'wall' for a case that idles while its caller waits (bottleneck starts every job on a timer): its cost is the
   * time the caller waits, not CPU time. Default 'cpu'.
   */
  readonly clock?: 'cpu' | 'wall';
}

export interface Timing {
  readonly id: string;
  /** Median over rounds of the time per call (ns): CPU time, or wall time for a case that idles (Case.clock). */
  readonly ns: number;
  /**
   * This case's time per call ÷ its baseline's, timed in alternation within each round (drifts of the machine
   * cancel out): the median over rounds and its 95 % confidence interval. 1 for a case without a baseline.
   */
  readonly ratio: Interval;
  /** Rounds measured (main cases may get more than the others). */
  readonly rounds: number;
  /** Each round's ratio and time per call (ns), for pooling the rounds of several processes (pool.ts). */
  readonly roundRatios: readonly number[];
  readonly roundNs: readonly number[];
  /** Bytes allocated per call (median of clean samples); NaN when no sample was free of a collection. */
  readonly bytesPerCall: number;
}

export interface MeasureOptions {
  /** Rounds every case gets, interleaved (the order rotates each round) so load spreads over every case. */
  readonly minRounds: number;
  /** Most rounds a main case gets while its ratio's interval is wider than `targetSpread`. */
  readonly maxRounds: number;
  /** Wanted half-width of a main ratio's 95 % interval, as a share of the ratio (0.15: ±15 %). */
  readonly targetSpread: number;
  /** Length of one timed chunk of calls (ms of CPU time). */
  readonly chunkMs: number;
  /** Case/baseline chunk pairs per round; the round's ratio is their median. */
  readonly pairs: number;
  /** Calls per allocation sample (at most; slow cases get fewer). */
  readonly allocationCalls: number;
  /** Clean allocation samples wanted (the median is reported). */
  readonly allocationSamples: number;
}

// Per process: the full run pools the rounds of 3 processes per Node (suite.ts), 24 to 60 in all.
export const fullMeasure: MeasureOptions = {
  minRounds: 8,
  maxRounds: 20,
  targetSpread: 0.15,
  chunkMs: 5,
  pairs: 5,
  allocationCalls: 2_000,
  allocationSamples: 5,
};
export const smokeMeasure: MeasureOptions = {
  minRounds: 1,
  maxRounds: 2,
  targetSpread: 0.15,
  chunkMs: 0.2,
  pairs: 1,
  allocationCalls: 10,
  allocationSamples: 1,
};

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

type Loop = (fn: () => Promise<unknown>, n: number, now: () => number) => Promise<number>;
const AsyncFunction = (async () => {}).constructor as new (...source: string[]) => Loop;

/**
 * A timing loop of its own: compiled afresh, so its call site sees one function only and the feedback of other
 * cases (a megamorphic `fn()`) cannot slow it down. Returns the elapsed ms of `n` awaited calls.
 */
const newLoop = (): Loop =>
  new AsyncFunction(
    'fn',
    'n',
    'now',
    'const t0 = now(); for (let i = 0; i < n; i++) await fn(); return now() - t0;',
  );

/**
 * The process's CPU time (ms), not the wall clock: on a shared machine a chunk of calls is often preempted for
 * longer than it runs, which the wall clock would charge to whichever case was running.
 */
const cpuNow = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const wallNow = (): number => performance.now();

/** One case with its baseline: their loops and how many calls fill a chunk. */
interface Pair {
  readonly c: Case;
  readonly base: Case | undefined;
  readonly caseLoop: Loop;
  readonly baseLoop: Loop;
  /** The clock of both chunks of a pair (see Case.clock). */
  readonly now: () => number;
  caseCalls: number;
  baseCalls: number;
  readonly nsPerCall: number[];
  readonly ratios: number[];
}

/** Calls of `fn` that fill about `chunkMs` (at least one), found by doubling; warms the loop up on the way. */
async function calibrate(
  loop: Loop,
  fn: () => Promise<unknown>,
  chunkMs: number,
  now: () => number,
): Promise<number> {
  let n = 1;
  for (;;) {
    const ms = await loop(fn, n, now);
    if (ms >= chunkMs || n >= 1 << 24) return Math.max(1, Math.round((n * chunkMs) / Math.max(ms, 1e-6)));
    n *= 2;
  }
}

/**
 * Lets the work a chunk leaves behind run before the next chunk's clock starts: the timers it cleared and the
 * callbacks it queued (a turn of the event loop) and its garbage (a full collection, with --expose-gc). Otherwise
 * a peer that allocates much, or arms and clears a timer per call, has part of its cost charged to the bare chunk
 * timed after it, and its ratio to bare comes out smaller than it is (cockatiel's four-policy wrap measured 60x
 * bare with a bare call of 245 ns after its chunks, against 74 ns after Bulwark's).
 */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** One round of one case: `pairs` chunks of it, each next to a chunk of its baseline (alternating which goes first). */
async function measureRound(pair: Pair, options: MeasureOptions): Promise<void> {
  const ratios: number[] = [];
  const times: number[] = [];
  for (let p = 0; p < options.pairs; p++) {
    const timeCase = async () => {
      await settle();
      return (await pair.caseLoop(pair.c.fn, pair.caseCalls, pair.now)) / pair.caseCalls;
    };
    const timeBase = async () => {
      if (pair.base === undefined) return Number.NaN;
      await settle();
      return (await pair.baseLoop(pair.base.fn, pair.baseCalls, pair.now)) / pair.baseCalls;
    };
    let caseMs: number;
    let baseMs: number;
    if (p % 2 === 0) {
      baseMs = await timeBase();
      caseMs = await timeCase();
    } else {
      caseMs = await timeCase();
      baseMs = await timeBase();
    }
    times.push(caseMs * 1e6);
    ratios.push(pair.base === undefined ? 1 : caseMs / baseMs);
  }
  pair.nsPerCall.push(median(times));
  pair.ratios.push(median(ratios));
}

/**
 * Times every case in interleaved rounds (the order rotates each round). Within a round a case is timed in
 * alternating chunks with its baseline, so the ratio of the two is taken over the same few milliseconds of the
 * machine, on the process's CPU time (see Case.clock). After `minRounds`, main cases whose ratio's interval is still wider than `targetSpread` get more rounds,
 * up to `maxRounds`. Then allocations are measured. Everything runs in this process, one case at a time.
 */
export async function measureCases(cases: readonly Case[], options: MeasureOptions): Promise<Timing[]> {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const pairs: Pair[] = [];
  for (const c of cases) {
    const base = c.baseline === undefined || c.baseline === c.id ? undefined : byId.get(c.baseline);
    const pair: Pair = {
      c,
      base,
      caseLoop: newLoop(),
      baseLoop: newLoop(),
      now: c.clock === 'wall' ? wallNow : cpuNow,
      caseCalls: 1,
      baseCalls: 1,
      nsPerCall: [],
      ratios: [],
    };
    pair.caseCalls = await calibrate(pair.caseLoop, c.fn, options.chunkMs, pair.now);
    if (base !== undefined)
      pair.baseCalls = await calibrate(pair.baseLoop, base.fn, options.chunkMs, pair.now);
    pairs.push(pair);
  }
  for (let round = 0; round < options.minRounds; round++) {
    for (let k = 0; k < pairs.length; k++)
      await measureRound(pairs[(k + round * 7) % pairs.length]!, options);
  }
  const wide = () =>
    pairs.filter((p) => p.c.main === true && !(spreadOf(medianInterval(p.ratios)) <= options.targetSpread));
  for (let round = options.minRounds; round < options.maxRounds; round++) {
    const pending = wide();
    if (pending.length === 0) break;
    for (const pair of pending) await measureRound(pair, options);
  }
  const timings: Timing[] = [];
  for (const pair of pairs) {
    const ns = median(pair.nsPerCall);
    // Slow cases get fewer calls per sample: a sample stays near 50 ms.
    const calls = Math.max(20, Math.min(options.allocationCalls, Math.floor(50e6 / ns)));
    timings.push({
      id: pair.c.id,
      ns,
      ratio: medianInterval(pair.ratios),
      rounds: pair.ratios.length,
      roundRatios: pair.ratios,
      roundNs: pair.nsPerCall,
      bytesPerCall: await bytesPerCall(pair.c.fn, calls, options.allocationSamples),
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
