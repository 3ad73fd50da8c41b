/**
 * The storm model over many seeds, summed up per strategy: what `pnpm bench:model` prints and the report's
 * `storm-model` section shows. Recovery is given as the median and the worst seed: one real storm run is one seed
 * of a noisy process, and its recovery moved from 0 s to 41 s between runs.
 */
import { computeMetrics, quantile } from './metrics.js';
import { bulwarkModel, type ModelStrategy, naiveModel, noRetriesModel, playModel } from './model.js';
import { LATENCY_BOUNDED } from './profiles.js';
import type { Scenario } from './scenario.js';

export interface ModelSummary {
  readonly id: string;
  readonly label: string;
  readonly seeds: readonly number[];
  /** Means over seeds. */
  readonly completed: number;
  readonly refused: number;
  /** Medians over seeds of each run's client latency quantiles, every request and the successful ones (ms). */
  readonly p50: number;
  readonly p99: number;
  readonly okP99: number;
  /** Recovery per seed (ms; Infinity: never), its median, 90th percentile and worst. */
  readonly recoveryMs: readonly number[];
  readonly recoveryMedianMs: number;
  readonly recoveryP90Ms: number;
  readonly recoveryWorstMs: number;
  /** The seed of the worst recovery (to replay it). */
  readonly worstSeed: number;
}

export interface SummaryOptions {
  readonly seeds: readonly number[];
  readonly jitterMs?: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Plays `strategy` once per seed and sums the runs up. */
export async function summarizeModel(
  strategy: ModelStrategy,
  scenario: Scenario,
  options: SummaryOptions,
): Promise<ModelSummary> {
  const completed: number[] = [];
  const refused: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  const okP99: number[] = [];
  const recovery: number[] = [];
  for (const seed of options.seeds) {
    const logs = await playModel(strategy, scenario, {
      seed,
      ...(options.jitterMs === undefined ? {} : { jitterMs: options.jitterMs }),
    });
    const m = computeMetrics(scenario, logs);
    completed.push(m.completed);
    refused.push(m.answered.overloaded + m.answered.quota);
    p50.push(m.p50);
    p99.push(m.p99);
    okP99.push(m.okP99);
    recovery.push(m.recoveryMs ?? Number.POSITIVE_INFINITY);
  }
  const worst = Math.max(...recovery);
  return {
    id: strategy.id,
    label: strategy.label,
    seeds: options.seeds,
    completed: mean(completed),
    refused: mean(refused),
    p50: quantile(p50, 0.5),
    p99: quantile(p99, 0.5),
    okP99: quantile(okP99, 0.5),
    recoveryMs: recovery,
    recoveryMedianMs: quantile(recovery, 0.5),
    recoveryP90Ms: quantile(recovery, 0.9),
    recoveryWorstMs: worst,
    worstSeed: options.seeds[recovery.indexOf(worst)]!,
  };
}

const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(0)} s` : 'never');
const latency = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A Markdown table of summaries. */
export function summaryTable(summaries: readonly ModelSummary[]): string {
  const lines = [
    '| strategy | completed | refused by the service | p50 / p99 (all) | p99 (successful) | recovery median / p90 / worst (seed) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of summaries) {
    lines.push(
      `| ${s.label} | ${s.completed.toFixed(0)} | ${s.refused.toFixed(0)} | ${latency(s.p50)} / ${latency(s.p99)} | ` +
        `${latency(s.okP99)} | ${seconds(s.recoveryMedianMs)} / ${seconds(s.recoveryP90Ms)} / ${seconds(s.recoveryWorstMs)} (${s.worstSeed}) |`,
    );
  }
  return lines.join('\n');
}

/** The storm model's section of `pnpm bench`: both Bulwark profiles and the two peers the model has. */
export interface StormModelResult {
  readonly scenario: string;
  readonly summaries: readonly ModelSummary[];
}

export async function runStormModel(scenario: Scenario, seeds: number): Promise<StormModelResult> {
  const strategies = [bulwarkModel(), bulwarkModel({}, LATENCY_BOUNDED), naiveModel, noRetriesModel];
  const list = Array.from({ length: seeds }, (_, i) => i + 1);
  const summaries: ModelSummary[] = [];
  for (const strategy of strategies)
    summaries.push(await summarizeModel(strategy, scenario, { seeds: list }));
  return { scenario: scenario.name, summaries };
}

/** The report's section. */
export function stormModelSection(result: StormModelResult): string {
  const seeds = result.summaries[0]?.seeds.length ?? 0;
  return [
    '## The storm on a virtual clock',
    '',
    `Scenario \`${result.scenario}\` played by the model (benchmarks/src/storm/model.ts: the same service model and ` +
      `workload, core's policies on a VirtualClock, no HTTP or SDK), seeds 1–${seeds}: the same figures for the ` +
      'same seed on any machine. Completed and refused are means over the seeds; latencies the median of the ' +
      "seeds' quantiles; recovery the median, the 90th percentile and the worst seed (replay it with " +
      '`pnpm --filter @bulwark/benchmarks run bench:model -- --offset=SEED-1 --seeds=1`).',
    '',
    summaryTable(result.summaries),
    '',
  ].join('\n');
}
