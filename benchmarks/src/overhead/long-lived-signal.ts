/**
 * Calls made under one long-lived signal (a server's shutdown signal, a request's signal shared by its fan-out):
 * the per-call cost must stay flat however many calls went before, and nothing may pile up on the signal. Figures
 * only: the first and the last 10,000 calls' cost per call, the most listeners the signal ever held, and the heap
 * still held once the calls are over.
 */
import { getEventListeners } from 'node:events';
import { getHeapStatistics } from 'node:v8';
import * as bw from '@bulwark/core';

export interface SignalRow {
  readonly scenario: string;
  readonly calls: number;
  /** Mean cost per call over the first and the last `window` calls (ns). */
  readonly firstNs: number;
  readonly lastNs: number;
  readonly window: number;
  /** The most 'abort' listeners the long-lived signal held at any time. */
  readonly maxListeners: number;
  /** 'abort' listeners left on it at the end. */
  readonly listenersAfter: number;
  /** Heap growth over the run, measured after a collection (bytes per call). */
  readonly retainedPerCall: number;
}

const BATCH = 1_000;

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return getHeapStatistics().used_heap_size;
}

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

interface Scenario {
  readonly name: string;
  /** Starts one call under `signal`; resolves when it settled. Calls run in batches of BATCH at once. */
  start(signal: AbortSignal, gate: Promise<void>): Promise<unknown>;
}

const scenarios: readonly Scenario[] = [
  (() => {
    const policy = bw.retry();
    return {
      name: '`deadlineSignal(60 s, { signal: parent })` per call, passed to `retry().execute`',
      start: (parent, gate) =>
        policy.execute(() => gate, { signal: bw.deadlineSignal(60_000, { signal: parent }) }),
    };
  })(),
  (() => {
    const policy = bw.pipeline(
      bw.timeout(10_000),
      bw.retry(),
      bw.hedge({ delay: 10_000 }),
      bw.circuitBreaker(),
      bw.bulkhead({ maxConcurrent: BATCH, maxQueue: BATCH }),
      bw.timeout(2_000),
    );
    return {
      name: 'recommended pipeline (with hedge), `execute(fn, { signal })` with the shared signal',
      start: (signal, gate) => policy.execute(() => gate, { signal }),
    };
  })(),
];

async function runOne(scenario: Scenario, calls: number): Promise<SignalRow> {
  const window = Math.min(10_000, Math.max(1, Math.floor(calls / 10)));
  const parent = new AbortController();
  let maxListeners = 0;
  const perCall: number[] = [];
  const before = heap();
  for (let done = 0; done < calls; done += BATCH) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const size = Math.min(BATCH, calls - done);
    const started = performance.now();
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < size; i++) batch.push(scenario.start(parent.signal, gate));
    maxListeners = Math.max(maxListeners, listeners(parent.signal));
    open();
    await Promise.all(batch);
    const ns = ((performance.now() - started) * 1e6) / size;
    for (let i = 0; i < size; i++) perCall.push(ns);
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  // Collect and give finalizers their turns (they run as tasks after a collection), then measure what is left.
  for (let i = 0; i < 3; i++) {
    heap();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const after = heap();
  return {
    scenario: scenario.name,
    calls,
    window,
    firstNs: mean(perCall.slice(0, window)),
    lastNs: mean(perCall.slice(-window)),
    maxListeners,
    listenersAfter: listeners(parent.signal),
    retainedPerCall: (after - before) / calls,
  };
}

/** Runs every scenario with `calls` calls (in batches of 1,000 in flight at once) on one signal each. */
export async function runLongLivedSignal(calls: number): Promise<SignalRow[]> {
  const rows: SignalRow[] = [];
  for (const scenario of scenarios) rows.push(await runOne(scenario, calls));
  return rows;
}
