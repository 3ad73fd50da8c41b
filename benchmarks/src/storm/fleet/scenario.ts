import { InvalidOptionError } from '@bulwark/core';
import { requireIntegerIn, requirePositive } from '@bulwark/core/validate';

/**
 * The storm's fleet variant: several processes of one service share one Gemini project's per-minute quota. The
 * fake Gemini server enforces the quota (a sliding minute, 429 RESOURCE_EXHAUSTED with RetryInfo above it) for
 * every process together; each process calls it through the real SDK and `withResilience`.
 *
 * Quotas count per real minute (the Redis store's windows run on Redis's clock, which cannot be compressed), and a
 * run lasts seconds: within one run the quota is a budget that the fleet's calls spend, and what a strategy
 * decides is how the fleet splits it and how many 429s it collects on the way.
 */
export interface FleetScenario {
  readonly name: string;
  /** Client processes (each with its own SDK client and adapter). */
  readonly processes: number;
  /** The project's quota on the fake server: requests per sliding minute, all processes together. */
  readonly quotaPerMinute: number;
  /** How long each process issues calls (real ms). */
  readonly durationMs: number;
  /** Service time of an answered call (real ms). */
  readonly latencyMs: number;
  /** How long a caller waits for one call (real ms): the adapter's queueing, retry and total deadline. */
  readonly deadlineMs: number;
  readonly workloads: readonly FleetWorkload[];
}

/** Who calls how much: an open loop per process (call k of process p at k / rate_p). */
export interface FleetWorkload {
  readonly id: string;
  readonly label: string;
  /** One line for the report. */
  readonly description: string;
  /** Calls per second of all processes together. */
  readonly rate: number;
  /** Each process's share of `rate` (as many as processes; normalised). */
  readonly shares: readonly number[];
}

/** How a process knows the project's quota. */
export interface FleetStrategy {
  readonly id: 'alone' | 'divided' | 'shared';
  readonly label: string;
  readonly description: string;
}

export const fleetStrategies: readonly FleetStrategy[] = [
  {
    id: 'alone',
    label: 'per-process limits',
    description:
      "each process's own in-memory limit at the project's rpm, as if it were alone (the default when a fleet grows)",
  },
  {
    id: 'divided',
    label: 'per-process limits ÷ fleet',
    description: "each process's own in-memory limit at the project's rpm divided by the number of processes",
  },
  {
    id: 'shared',
    label: 'shared Redis store',
    description:
      "the project's rpm in one Redis store for all: `store: redisStore({ client })`, one `project`",
  },
];

const even = (processes: number): number[] => Array.from({ length: processes }, () => 1);
/** One process takes 40 %, one 30 %, the rest share 30 % (a hot replica: sticky sessions, a batch job). */
const skewed = (processes: number): number[] =>
  processes === 1
    ? [1]
    : processes === 2
      ? [0.6, 0.4]
      : [4, 3, ...Array(processes - 2).fill(3 / (processes - 2))];

function workloads(processes: number, quotaPerMinute: number, durationMs: number): FleetWorkload[] {
  const seconds = durationMs / 1000;
  return [
    {
      id: 'burst',
      label: 'burst, even',
      description: 'every process sends alike; together 1.2 × the quota within the run',
      rate: (1.2 * quotaPerMinute) / seconds,
      shares: even(processes),
    },
    {
      id: 'skewed',
      label: 'under quota, skewed',
      description: 'together 0.9 × the quota within the run, unevenly: one process sends 40 %, one 30 %',
      rate: (0.9 * quotaPerMinute) / seconds,
      shares: skewed(processes),
    },
  ];
}

/** The full run: 5 processes, a 300 rpm project, 5 s per run (6 runs, about 45 s with the processes' start). */
export const fullFleetScenario: FleetScenario = {
  name: 'full',
  processes: 5,
  quotaPerMinute: 300,
  durationMs: 5_000,
  latencyMs: 200,
  deadlineMs: 3_000,
  workloads: workloads(5, 300, 5_000),
};

/** Only for the smoke test: 3 processes, tiny runs; its figures are not meaningful. */
export const smokeFleetScenario: FleetScenario = {
  name: 'smoke',
  processes: 3,
  quotaPerMinute: 30,
  durationMs: 400,
  latencyMs: 50,
  deadlineMs: 500,
  workloads: workloads(3, 30, 400),
};

/** Calls process `p` issues in a run of `workload`. */
export function callsOf(scenario: FleetScenario, workload: FleetWorkload, p: number): number {
  const total = workload.shares.reduce((sum, s) => sum + s, 0);
  return Math.round((workload.rate * (workload.shares[p]! / total) * scenario.durationMs) / 1000);
}

/** The rpm each process configures for `strategy`. */
export function rpmOf(scenario: FleetScenario, strategy: FleetStrategy): number {
  return strategy.id === 'divided'
    ? Math.floor(scenario.quotaPerMinute / scenario.processes)
    : scenario.quotaPerMinute;
}

/** Rejects a scenario that cannot run (thrown before any process starts). */
export function validateFleetScenario(scenario: FleetScenario): FleetScenario {
  requireIntegerIn('processes', scenario.processes, 1, 64);
  for (const key of ['quotaPerMinute', 'durationMs', 'latencyMs', 'deadlineMs'] as const) {
    requirePositive(key, scenario[key]);
  }
  if (scenario.durationMs + scenario.deadlineMs >= 60_000) {
    throw new InvalidOptionError('durationMs', "a run must end within the quota's minute");
  }
  for (const w of scenario.workloads) {
    requirePositive(`workloads.${w.id}.rate`, w.rate);
    if (w.shares.length !== scenario.processes || !w.shares.every((s) => s >= 0)) {
      throw new InvalidOptionError(`workloads.${w.id}.shares`, `expected ${scenario.processes} shares >= 0`);
    }
  }
  return scenario;
}
