/**
 * Key churn: a long run of distinct keys (one per tenant, request or IP) while a fixed number of them are busy,
 * more than `maxKeys`. The cost per key must stay flat from the first chunk of keys to the last: a registry or
 * store that walks its busy keys on every new key slows down as soon as they outnumber `maxKeys`.
 *
 * - keyedPolicy: a circuit breaker per key; `inFlight` executions are running at any time (each new key's
 *   execution starts, then the oldest one is released and awaited).
 * - rateLimit with per-call keys: a memoryStore; one new key per millisecond of a manual clock under a sliding
 *   window of `inFlight` ms, so the usage of the last `inFlight` keys still counts (they are busy in the store).
 *
 * `pnpm bench:churn` runs only these rows.
 */
import * as bw from '@bulwark/core';
import { work } from './work.js';

export interface ChurnRow {
  readonly subject: string;
  readonly keys: number;
  /** Keys busy at any time (executions in flight, or usage still counting). */
  readonly busy: number;
  readonly maxKeys: number;
  /** Keys per chunk. */
  readonly chunk: number;
  /** Mean time per key in the first and the last chunk (ns). */
  readonly firstNsPerKey: number;
  readonly lastNsPerKey: number;
  /** Keys per second over the whole run. */
  readonly keysPerSecond: number;
  /** Largest number of keys held at once (registry or store size). */
  readonly peakKeys: number;
}

export interface ChurnSizes {
  readonly keys: number;
  readonly chunk: number;
  readonly maxKeys: number;
  /** Busy keys per row: one below maxKeys (the baseline) and one above. */
  readonly busy: readonly number[];
}

export const fullChurn: ChurnSizes = { keys: 100_000, chunk: 10_000, maxKeys: 1_000, busy: [100, 2_000] };
export const smokeChurn: ChurnSizes = { keys: 1_000, chunk: 200, maxKeys: 100, busy: [10, 200] };

/** Times `step(i)` for every key, chunk by chunk. */
async function timeChunks(
  keys: number,
  chunk: number,
  step: (i: number) => Promise<void> | void,
): Promise<{ chunks: number[]; totalMs: number }> {
  const chunks: number[] = [];
  const started = performance.now();
  let mark = started;
  for (let i = 0; i < keys; i++) {
    await step(i);
    if ((i + 1) % chunk === 0) {
      const now = performance.now();
      chunks.push(((now - mark) * 1e6) / chunk);
      mark = now;
    }
  }
  return { chunks, totalMs: performance.now() - started };
}

function row(
  subject: string,
  sizes: ChurnSizes,
  busy: number,
  timing: { chunks: number[]; totalMs: number },
  peakKeys: number,
): ChurnRow {
  return {
    subject,
    keys: sizes.keys,
    busy,
    maxKeys: sizes.maxKeys,
    chunk: sizes.chunk,
    firstNsPerKey: timing.chunks[0] ?? Number.NaN,
    lastNsPerKey: timing.chunks[timing.chunks.length - 1] ?? Number.NaN,
    keysPerSecond: sizes.keys / (timing.totalMs / 1000),
    peakKeys,
  };
}

async function keyedChurn(sizes: ChurnSizes, busy: number): Promise<ChurnRow> {
  const registry = bw.keyedPolicy(() => bw.circuitBreaker(), { maxKeys: sizes.maxKeys });
  const releases: Array<() => void> = new Array(busy);
  const runs: Array<Promise<unknown>> = new Array(busy);
  let peak = 0;
  const timing = await timeChunks(sizes.keys, sizes.chunk, async (i) => {
    const slot = i % busy;
    if (i >= busy) {
      releases[slot]!();
      await runs[slot];
    }
    const gate = new Promise<number>((resolve) => {
      releases[slot] = () => resolve(i);
    });
    runs[slot] = registry.execute(`tenant-${i}`, () => gate);
    if (registry.size > peak) peak = registry.size;
  });
  for (const release of releases) release?.();
  await Promise.all(runs);
  return row(`keyedPolicy, ${busy.toLocaleString('en-US')} in flight`, sizes, busy, timing, peak);
}

async function rateLimitChurn(sizes: ChurnSizes, busy: number): Promise<ChurnRow> {
  let time = 0;
  // Time moves one millisecond per key; nothing waits in 'reject' mode, so no timer is ever set.
  const clock: bw.Clock = {
    now: () => time,
    setTimer: (callback, ms, options) => bw.realClock.setTimer(callback, ms, options),
    clearTimer: (handle) => bw.realClock.clearTimer(handle),
  };
  const store = bw.memoryStore({ maxKeys: sizes.maxKeys });
  const limiter = bw.rateLimit({
    limits: bw.slidingWindow({ limit: 1, window: busy }),
    mode: 'reject',
    store,
    clock,
  });
  let peak = 0;
  const timing = await timeChunks(sizes.keys, sizes.chunk, async (i) => {
    time = i;
    await limiter.execute(work, { key: `tenant-${i}` });
    const size = store.size(limiter.scope);
    if (size > peak) peak = size;
  });
  return row(`rateLimit per-call keys, ${busy.toLocaleString('en-US')} busy`, sizes, busy, timing, peak);
}

/** Each row runs once at a small size first (discarded), so its first chunk is not the JIT's warm-up. */
async function warmThenRun(
  sizes: ChurnSizes,
  busy: number,
  run: (sizes: ChurnSizes, busy: number) => Promise<ChurnRow>,
): Promise<ChurnRow> {
  await run(
    { ...sizes, keys: Math.min(sizes.keys, Math.max(2 * busy + sizes.chunk, 2 * sizes.chunk)) },
    busy,
  );
  // Collect the warm-up's garbage now rather than during the first chunk.
  (globalThis as { gc?: () => void }).gc?.();
  return run(sizes, busy);
}

export async function runKeyChurn(sizes: ChurnSizes): Promise<ChurnRow[]> {
  const rows: ChurnRow[] = [];
  for (const busy of sizes.busy) rows.push(await warmThenRun(sizes, busy, keyedChurn));
  for (const busy of sizes.busy) rows.push(await warmThenRun(sizes, busy, rateLimitChurn));
  return rows;
}
