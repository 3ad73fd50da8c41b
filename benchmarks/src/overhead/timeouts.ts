/**
 * 100,000 executions pending under a timeout at once: the cost to schedule them, the memory they hold, and
 * whether every one of them then settles correctly, both when the work finishes first (cancel) and when the
 * deadline passes first (fire).
 */
import { getHeapStatistics } from 'node:v8';
import * as bw from '@bulwark/core';
import * as ck from 'cockatiel';
import { parked } from './work.js';

export interface TimeoutRow {
  readonly library: string;
  readonly scenario: 'cancel' | 'fire';
  readonly pending: number;
  /** Mean time to start one execution (ns). */
  readonly scheduleNs: number;
  /** Heap held per pending execution (bytes). */
  readonly bytesPerPending: number;
  /** Executions that settled as expected (fulfilled for cancel, TimeoutError for fire). */
  readonly correct: number;
  /** For fire: how long after the deadline the last execution was rejected (ms). For cancel: time to settle all. */
  readonly settleMs: number;
  /** Node timers still active after everything settled, above the count before the run. */
  readonly leftoverTimers: number;
}

const FIRE_AFTER_MS = 500;

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return getHeapStatistics().used_heap_size;
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

interface Runner {
  readonly library: string;
  /** Starts one execution of `fn` under a timeout of `ms`. */
  start(ms: number): (fn: () => Promise<number>) => Promise<number>;
  isTimeout(error: unknown): boolean;
}

const runners: readonly Runner[] = [
  {
    library: 'bulwark',
    start(ms) {
      const policy = bw.timeout(ms);
      return (fn) => policy.execute(fn);
    },
    isTimeout: bw.isTimeoutError,
  },
  {
    library: 'cockatiel',
    start(ms) {
      const policy = ck.timeout(ms, ck.TimeoutStrategy.Aggressive);
      return (fn) => policy.execute(fn);
    },
    isTimeout: (error) => error instanceof ck.TaskCancelledError,
  },
];

async function runOne(runner: Runner, scenario: 'cancel' | 'fire', count: number): Promise<TimeoutRow> {
  const timersBefore = activeTimers();
  const ms = scenario === 'cancel' ? 60_000 : FIRE_AFTER_MS;
  const run = runner.start(ms);
  const parkedCalls = Array.from({ length: count }, () => parked());
  const before = heap();
  const started = performance.now();
  const pending = parkedCalls.map((p) => run(() => p.promise));
  const scheduled = performance.now();
  const after = heap();
  let correct = 0;
  const outcomes = pending.map((promise) =>
    promise.then(
      () => {
        if (scenario === 'cancel') correct++;
      },
      (error: unknown) => {
        if (scenario === 'fire' && runner.isTimeout(error)) correct++;
      },
    ),
  );
  if (scenario === 'cancel') for (const p of parkedCalls) p.release();
  const releasedAt = performance.now();
  // Deadline timers are background timers (unref'd): something must keep the process up while we wait for them.
  const keepAlive = setInterval(() => {}, 1_000);
  await Promise.all(outcomes);
  clearInterval(keepAlive);
  const settled = performance.now();
  if (scenario === 'fire') for (const p of parkedCalls) p.release();
  // Let timers cleared during settlement leave the active list.
  await new Promise((resolve) => setImmediate(resolve));
  return {
    library: runner.library,
    scenario,
    pending: count,
    scheduleNs: ((scheduled - started) * 1e6) / count,
    bytesPerPending: (after - before) / count,
    correct,
    settleMs: scenario === 'fire' ? settled - (started + ms) : settled - releasedAt,
    leftoverTimers: activeTimers() - timersBefore,
  };
}

export async function runTimeouts(count: number): Promise<TimeoutRow[]> {
  const rows: TimeoutRow[] = [];
  for (const runner of runners) {
    rows.push(await runOne(runner, 'cancel', count));
    rows.push(await runOne(runner, 'fire', count));
  }
  return rows;
}
