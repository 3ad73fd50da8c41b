import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { machineInfo } from './machine.js';
import { fullChurn, runKeyChurn, smokeChurn } from './overhead/key-churn.js';
import { fullMeasure, type MeasureOptions, smokeMeasure } from './overhead/measure.js';
import { runMemory } from './overhead/memory.js';
import { runLongLivedSignal } from './overhead/long-lived-signal.js';
import { DEFAULT_RUNTIMES, runOverheadOn } from './overhead/runtimes.js';
import { runTimeouts } from './overhead/timeouts.js';
import { fullRedis, runRedis, smokeRedis } from './redis/index.js';
import { renderReport, type Report, stormVerdict } from './report.js';
import { stormChart } from './storm/chart.js';
import { runStormFleet } from './storm/fleet/index.js';
import { fullFleetScenario, smokeFleetScenario } from './storm/fleet/scenario.js';
import { runStorm } from './storm/index.js';
import { runStormModel } from './storm/model-summary.js';
import { fullScenario, smokeScenario } from './storm/scenario.js';

export type Section =
  | 'overhead'
  | 'memory'
  | 'timeouts'
  | 'churn'
  | 'signals'
  | 'storm'
  | 'storm-model'
  | 'redis'
  | 'storm-fleet';
export const SECTIONS: readonly Section[] = [
  'overhead',
  'memory',
  'timeouts',
  'churn',
  'signals',
  'storm',
  'storm-model',
  'redis',
  'storm-fleet',
];

export interface SuiteOptions {
  readonly mode: 'full' | 'smoke';
  readonly sections?: readonly Section[];
  /** Storm runs per strategy. Default 3 in full mode, 1 in smoke mode. */
  readonly stormRepetitions?: number;
  /** Runtimes of the overhead section (conformance names: node, node22, node24). Default: node and node24. */
  readonly runtimes?: readonly string[];
  /** Fresh processes per runtime whose rounds the overhead section pools (`--processes`; full 3, smoke 1). */
  readonly overheadProcesses?: number;
  /** Overrides of the overhead section's rounds (`--rounds`). */
  readonly measure?: Partial<Pick<MeasureOptions, 'minRounds' | 'maxRounds'>>;
  readonly log?: (line: string) => void;
}

/** Sizes per mode: smoke mode only proves that every case runs and yields sane numbers. */
const SIZES = {
  full: {
    keys: 10_000,
    timeouts: 100_000,
    churn: fullChurn,
    signalCalls: 100_000,
    measure: fullMeasure,
    overheadProcesses: 3,
    scenario: fullScenario,
    modelSeeds: 30,
    redis: fullRedis,
    fleet: fullFleetScenario,
  },
  smoke: {
    keys: 50,
    timeouts: 2_000,
    churn: smokeChurn,
    signalCalls: 2_000,
    measure: smokeMeasure,
    overheadProcesses: 1,
    scenario: smokeScenario,
    modelSeeds: 1,
    redis: smokeRedis,
    fleet: smokeFleetScenario,
  },
} as const;

/** Runs the chosen sections (all by default) and returns everything measured. */
export async function runSuite(options: SuiteOptions): Promise<Report> {
  const sections = new Set(options.sections ?? SECTIONS);
  const size = SIZES[options.mode];
  const log = options.log ?? (() => {});
  const machine = machineInfo();
  const report: { -readonly [K in keyof Report]: Report[K] } = {
    mode: options.mode,
    machine,
    loadAverageAfter: 0,
  };
  if (sections.has('overhead')) {
    const runtimes = options.runtimes ?? DEFAULT_RUNTIMES;
    log(`overhead: timing every case on ${runtimes.join(', ')}...`);
    report.overhead = await runOverheadOn(
      runtimes,
      { ...size.measure, ...options.measure },
      log,
      options.overheadProcesses ?? size.overheadProcesses,
    );
  }
  if (sections.has('memory')) {
    log(`memory: ${size.keys} per-key policies...`);
    report.memory = await runMemory(size.keys);
  }
  if (sections.has('timeouts')) {
    log(`timeouts: ${size.timeouts} pending...`);
    report.timeouts = await runTimeouts(size.timeouts);
  }
  if (sections.has('churn')) {
    log(`churn: ${size.churn.keys} keys with more busy than maxKeys...`);
    report.churn = await runKeyChurn(size.churn);
  }
  if (sections.has('signals')) {
    log(`signals: ${size.signalCalls} calls on one long-lived signal...`);
    report.signals = await runLongLivedSignal(size.signalCalls);
  }
  if (sections.has('storm')) {
    log('storm...');
    report.storm = await runStorm({
      scenario: size.scenario,
      repetitions: options.stormRepetitions ?? (options.mode === 'full' ? 3 : 1),
      log,
    });
    report.verdict = stormVerdict(report.storm);
  }
  if (sections.has('storm-model')) {
    log(`storm-model: ${size.modelSeeds} seeds per strategy on a virtual clock...`);
    report.stormModel = await runStormModel(size.scenario, size.modelSeeds);
  }
  if (sections.has('redis')) {
    log('redis: admissions through a limiter on a local redis-server, next to rate-limiter-flexible...');
    report.redis = await runRedis(size.redis, log);
  }
  if (sections.has('storm-fleet')) {
    log(`storm-fleet: ${size.fleet.processes} processes on one project quota, a local redis-server...`);
    report.stormFleet = await runStormFleet({ scenario: size.fleet, log });
  }
  report.loadAverageAfter = Number(loadavg()[0]!.toFixed(2));
  return report;
}

export const CHART_FILE = 'storm.svg';

/** Writes latest.md, latest.json and the storm chart into `dir`; returns the Markdown. */
export async function writeReport(report: Report, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const markdown = renderReport(report, CHART_FILE);
  await writeFile(join(dir, 'latest.md'), markdown);
  await writeFile(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (report.storm) {
    const series = report.storm.results.map((r) => ({ label: r.label, values: r.runs[0]!.serviceRate }));
    await writeFile(join(dir, CHART_FILE), stormChart(report.storm.scenario, series));
  }
  return markdown;
}
