/**
 * The storm's fleet variant: one fake Gemini server with a project quota, a real redis-server, and a fleet of real
 * child processes (fleet/worker.ts) that share the quota. Each workload is played once per strategy, against a
 * fresh server (a fresh quota) and a fresh project in Redis.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ok, startFakeGemini } from '@bulwark/gemini-adapter/testing';
import {
  type RedisServer,
  redisServerMissing,
  startRedisServer,
} from '../../../../packages/redis/test/support/redis-server.js';
import { quantile } from '../metrics.js';
import type { FromWorker, ProcessLog, RunSpec, ToWorker } from './protocol.js';
import {
  callsOf,
  type FleetScenario,
  type FleetStrategy,
  type FleetWorkload,
  fleetStrategies,
  rpmOf,
  validateFleetScenario,
} from './scenario.js';

const MODEL = 'gemini-2.5-flash';

/** What one process did in one run, counted by the server (by its API key) and by its callers. */
export interface FleetProcessRow {
  readonly calls: number;
  readonly completed: number;
  /** generateContent requests the server received from it. */
  readonly sent: number;
  /** 429s the server sent it. */
  readonly refused: number;
}

/** One strategy on one workload. */
export interface FleetRun {
  readonly workload: string;
  readonly strategy: FleetStrategy['id'];
  /** The rpm each process was configured with. */
  readonly rpm: number;
  readonly calls: number;
  readonly completed: number;
  readonly failed: number;
  /** Failures by reason: `RATE_LIMITED` (refused by a local or shared limit without sending), `rateLimited` (a 429)... */
  readonly failures: Readonly<Record<string, number>>;
  /** generateContent requests the server received. */
  readonly received: number;
  /** Of which answered 200. */
  readonly served: number;
  /** Of which refused with 429 (the project's quota). */
  readonly refused: number;
  /** received / calls. */
  readonly amplification: number;
  /** served / the project's quota: how much of the budget the fleet used. */
  readonly quotaUsed: number;
  /** Latency of every call, from its scheduled time to its settlement (real ms). */
  readonly p50: number;
  readonly p99: number;
  /** From the first call's scheduled time to the last settlement (real ms). */
  readonly wallMs: number;
  readonly perProcess: readonly FleetProcessRow[];
  /** Times a guarded store found Redis unavailable (0 unless Redis failed). */
  readonly storeUnavailable: number;
  /** The longest event-loop stall of any process (real ms). */
  readonly loopDelayMaxMs: number;
}

export interface FleetResult {
  readonly scenario: FleetScenario;
  readonly strategies: readonly FleetStrategy[];
  readonly runs: readonly FleetRun[];
}

export interface FleetOptions {
  readonly scenario: FleetScenario;
  readonly strategies?: readonly FleetStrategy[];
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** A client process, driven by messages. */
class FleetProcess {
  private readonly waiting: Array<{ resolve(m: FromWorker): void; reject(e: Error): void }> = [];
  private failure: Error | undefined;

  constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromWorker) => {
      if (message.type === 'error') this.fail(new Error(`fleet process failed: ${message.message}`));
      else this.waiting.shift()?.resolve(message);
    });
    child.once('exit', (code) => this.fail(new Error(`fleet process exited with ${code}`)));
  }

  static async start(): Promise<FleetProcess> {
    // tsx's ES module loader, resolved from this package: the children run TypeScript like the parent.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
    const child = fork(entry, [], {
      execArgv: ['--import', tsx],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const process = new FleetProcess(child);
    await process.next('ready');
    return process;
  }

  /** Waits for the next message, which must be of `type`. */
  next<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({
        resolve: (m) =>
          m.type === type
            ? resolve(m as Extract<FromWorker, { type: T }>)
            : reject(new Error(`fleet process: expected "${type}", got "${m.type}"`)),
        reject,
      });
    });
  }

  send(message: ToWorker): void {
    this.child.send(message);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.send({ type: 'exit' });
    else this.child.kill('SIGKILL');
    await exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

async function runOnce(
  scenario: FleetScenario,
  workload: FleetWorkload,
  strategy: FleetStrategy,
  processes: readonly FleetProcess[],
  redis: RedisServer,
  runId: string,
): Promise<FleetRun> {
  const fake = await startFakeGemini({
    quotas: { [MODEL]: { rpm: scenario.quotaPerMinute } },
    defaultBehaviour: ok({ delayMs: scenario.latencyMs, text: 'pong' }),
  });
  try {
    const rpm = rpmOf(scenario, strategy);
    const totalShares = sum(workload.shares);
    const specs: RunSpec[] = processes.map((_, p) => {
      const rate = (workload.rate * workload.shares[p]!) / totalShares;
      return {
        index: p,
        baseUrl: fake.url,
        ...(strategy.id === 'shared' ? { redisUrl: redis.url } : {}),
        project: `fleet-${runId}-${workload.id}`,
        model: MODEL,
        rpm,
        calls: callsOf(scenario, workload, p),
        rate,
        // Interleaves the processes' calls instead of firing them in the same millisecond.
        offsetMs: rate > 0 ? (p / processes.length) * (1000 / rate) : 0,
        deadlineMs: scenario.deadlineMs,
      };
    });
    const prepared = processes.map((process) => process.next('prepared'));
    for (const [p, process] of processes.entries()) process.send({ type: 'prepare', spec: specs[p]! });
    await Promise.all(prepared);
    const startAt = Date.now() + 100;
    const results = processes.map((process) => process.next('result'));
    for (const process of processes) process.send({ type: 'go', startAt });
    const logs: ProcessLog[] = (await Promise.all(results)).map((m) => m.log);
    return summarize(scenario, workload, strategy, rpm, startAt, logs, fake.requests);
  } finally {
    await fake.close();
  }
}

function summarize(
  scenario: FleetScenario,
  workload: FleetWorkload,
  strategy: FleetStrategy,
  rpm: number,
  startAt: number,
  logs: readonly ProcessLog[],
  requests: readonly { method?: string; answer: string; headers: Readonly<Record<string, string>> }[],
): FleetRun {
  const generate = requests.filter((r) => r.method === 'generateContent');
  const isRefusal = (answer: string) => answer === 'rateLimited' || answer === 'dailyQuota';
  const perProcess = logs.map((log): FleetProcessRow => {
    const mine = generate.filter((r) => r.headers['x-goog-api-key'] === `fleet-${log.index}`);
    return {
      calls: log.ok.length,
      completed: sum(log.ok),
      sent: mine.length,
      refused: mine.filter((r) => isRefusal(r.answer)).length,
    };
  });
  const failures: Record<string, number> = {};
  for (const log of logs) {
    for (const [reason, n] of Object.entries(log.failures)) failures[reason] = (failures[reason] ?? 0) + n;
  }
  const latencies = logs.flatMap((log) => log.latencies);
  const calls = latencies.length;
  const completed = sum(perProcess.map((p) => p.completed));
  const served = generate.filter((r) => r.answer === 'ok').length;
  return {
    workload: workload.id,
    strategy: strategy.id,
    rpm,
    calls,
    completed,
    failed: calls - completed,
    failures,
    received: generate.length,
    served,
    refused: generate.filter((r) => isRefusal(r.answer)).length,
    amplification: calls === 0 ? Number.NaN : generate.length / calls,
    quotaUsed: served / scenario.quotaPerMinute,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    wallMs: Math.max(...logs.map((log) => log.endedAt)) - startAt,
    perProcess,
    storeUnavailable: sum(logs.map((log) => log.storeUnavailable)),
    loopDelayMaxMs: Math.max(...logs.map((log) => log.loopDelayMaxMs)),
  };
}

/**
 * Starts a redis-server and the fleet's processes, plays every workload with every strategy, and stops them all.
 * Throws at once, with what to install, when redis-server is missing.
 */
export async function runStormFleet(options: FleetOptions): Promise<FleetResult> {
  const scenario = validateFleetScenario(options.scenario);
  const strategies = options.strategies ?? fleetStrategies;
  const missing = redisServerMissing();
  if (missing !== undefined) throw new Error(`storm-fleet needs a redis-server: ${missing}`);
  const redis = await startRedisServer();
  const processes: FleetProcess[] = [];
  try {
    processes.push(
      ...(await Promise.all(Array.from({ length: scenario.processes }, () => FleetProcess.start()))),
    );
    const runId = Date.now().toString(36);
    const runs: FleetRun[] = [];
    for (const workload of scenario.workloads) {
      for (const strategy of strategies) {
        const run = await runOnce(scenario, workload, strategy, processes, redis, `${runId}-${strategy.id}`);
        options.log?.(
          `storm-fleet ${workload.id} ${strategy.id}: completed ${run.completed}/${run.calls}, ` +
            `429s ${run.refused}, amplification ${run.amplification.toFixed(2)}, ` +
            `longest stall ${run.loopDelayMaxMs.toFixed(0)} ms`,
        );
        runs.push(run);
      }
    }
    return { scenario, strategies, runs };
  } finally {
    await Promise.all(processes.map((process) => process.stop()));
    await redis.close();
  }
}
