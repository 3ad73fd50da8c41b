import { type StormMetrics, computeMetrics } from './metrics.js';
import { type Scenario, validateScenario } from './scenario.js';
import { type StormService, startStormService } from './service/server.js';
import { startStormServiceInWorker } from './service/worker.js';
import { strategies as allStrategies, type Strategy } from './strategies/index.js';
import { playWorkload } from './workload.js';

export interface StormOptions {
  readonly scenario: Scenario;
  /** Runs of each strategy; figures are reported per run and as medians. Default 1. */
  readonly repetitions?: number;
  /** Where the service runs: its own thread (default, for measurements) or this one (quick smoke runs). */
  readonly serviceHost?: 'worker' | 'inline';
  readonly strategies?: readonly Strategy[];
  /**
   * A run in which the client's or the service's event loop stalled longer than this (real ms) was disturbed by
   * the machine (other processes, a long collection), not by the strategy: it is discarded and played again,
   * at most `maxReplays` times per run. Default 250.
   */
  readonly stallLimitMs?: number;
  /** Default 2. */
  readonly maxReplays?: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface StrategyResult {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** The runs kept (undisturbed, or the last replay when every replay was disturbed too). */
  readonly runs: readonly StormMetrics[];
  /** Runs discarded because the machine stalled during them. */
  readonly discarded: readonly StormMetrics[];
}

export interface StormResult {
  readonly scenario: Scenario;
  readonly stallLimitMs: number;
  readonly results: readonly StrategyResult[];
}

async function runOnce(
  strategy: Strategy,
  scenario: Scenario,
  host: 'worker' | 'inline',
): Promise<StormMetrics> {
  const service: StormService =
    host === 'worker' ? await startStormServiceInWorker(scenario) : await startStormService(scenario);
  const logs = await playWorkload(strategy, scenario, service);
  return computeMetrics(scenario, logs);
}

/** Plays the storm once (or `repetitions` times) per strategy, each against a fresh service. */
export async function runStorm(options: StormOptions): Promise<StormResult> {
  const scenario = validateScenario(options.scenario);
  const repetitions = options.repetitions ?? 1;
  const host = options.serviceHost ?? 'worker';
  const list = options.strategies ?? allStrategies;
  const stallLimitMs = options.stallLimitMs ?? 250;
  const maxReplays = options.maxReplays ?? 2;
  const runs = new Map<Strategy, StormMetrics[]>(list.map((s) => [s, []]));
  const discarded = new Map<Strategy, StormMetrics[]>(list.map((s) => [s, []]));
  for (let rep = 0; rep < repetitions; rep++) {
    for (const strategy of list) {
      for (let replay = 0; ; replay++) {
        const metrics = await runOnce(strategy, scenario, host);
        const stall = Math.max(metrics.loopDelayMaxMs, metrics.serviceLoopDelayMaxMs);
        const disturbed = stall > stallLimitMs;
        options.log?.(
          `storm ${rep + 1}/${repetitions} ${strategy.id}: completed ${metrics.completed}/${metrics.issued}, ` +
            `amplification ${metrics.amplification.toFixed(2)}, recovery ${metrics.recoveryMs ?? 'never'}, ` +
            `longest stall ${stall.toFixed(0)} ms${disturbed ? ' (disturbed)' : ''}`,
        );
        if (!disturbed || replay >= maxReplays) {
          runs.get(strategy)!.push(metrics);
          break;
        }
        discarded.get(strategy)!.push(metrics);
      }
    }
  }
  return {
    scenario,
    stallLimitMs,
    results: list.map((s) => ({
      id: s.id,
      label: s.label,
      description: s.description,
      runs: runs.get(s)!,
      discarded: discarded.get(s)!,
    })),
  };
}
