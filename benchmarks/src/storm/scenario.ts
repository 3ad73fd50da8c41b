import { InvalidOptionError } from '@bulwark/core';

/**
 * A storm scenario, in scenario time: seconds and requests per second as the story tells them. The run is
 * compressed by `scale` (real ms = scenario ms x scale; real rates = scenario rates / scale), so a three-minute
 * outage plays in a few seconds while every ratio between rates and durations stays the same.
 */
export interface Scenario {
  readonly name: string;
  /** Real milliseconds per scenario millisecond, in (0, 1]. */
  readonly scale: number;
  /** Logical requests per second issued by all clients together (open loop: they do not wait for answers). */
  readonly rate: number;
  /** Client instances (processes of the calling service); the rate is split evenly between them. */
  readonly clients: number;
  /** The service's timeline. */
  readonly phases: readonly Phase[];
  /** Service time of one served request (ms). */
  readonly latencyMs: number;
  /** Capacity accounting window (ms): at most capacity x window / 1000 requests served in any such window. */
  readonly capacityWindowMs: number;
  /** What one 503 costs the service, as a fraction of a served request (0 = rejecting is free). */
  readonly rejectCost: number;
  /** Requests per minute the project may send (a sliding minute; 200s and 503s count, 429s do not). */
  readonly quotaPerMinute: number;
  /** How long a caller waits for one logical request, retries included (ms). */
  readonly deadlineMs: number;
  /** Bucket of the time series and of the recovery rule (ms). */
  readonly bucketMs: number;
  /** Seed of every random choice the clients make (jitter). */
  readonly seed: number;
}

export interface Phase {
  readonly name: 'healthy' | 'overload' | 'recovery';
  readonly durationMs: number;
  /** Requests per second the service can serve during the phase. */
  readonly capacity: number;
}

/**
 * The full storm. A service with 60 % headroom over the workload loses 80 % of its capacity for a minute (the
 * "model is overloaded" episodes of a hosted LLM API), then gets it back. The project's per-minute quota leaves
 * 50 % headroom over the workload, so only retry amplification can exhaust it.
 */
export const fullScenario: Scenario = {
  name: 'full',
  scale: 0.1,
  rate: 25,
  clients: 5,
  phases: [
    { name: 'healthy', durationMs: 30_000, capacity: 40 },
    { name: 'overload', durationMs: 60_000, capacity: 8 },
    { name: 'recovery', durationMs: 90_000, capacity: 40 },
  ],
  latencyMs: 1_000,
  capacityWindowMs: 1_000,
  rejectCost: 0,
  quotaPerMinute: 2_250,
  deadlineMs: 30_000,
  bucketMs: 1_000,
  seed: 42,
};

/**
 * The same story squeezed into about a second of real time per strategy, at a real request rate low enough for a
 * busy test machine (100 req/s): only for the smoke test, its figures are not meaningful.
 */
export const smokeScenario: Scenario = {
  ...fullScenario,
  name: 'smoke',
  scale: 0.02,
  rate: 2,
  clients: 2,
  phases: [
    { name: 'healthy', durationMs: 10_000, capacity: 3.2 },
    { name: 'overload', durationMs: 20_000, capacity: 0.6 },
    { name: 'recovery', durationMs: 30_000, capacity: 3.2 },
  ],
  capacityWindowMs: 5_000,
  quotaPerMinute: 180,
  deadlineMs: 20_000,
  bucketMs: 2_000,
};

/** Total scenario duration (ms). */
export function durationOf(scenario: Scenario): number {
  return scenario.phases.reduce((sum, phase) => sum + phase.durationMs, 0);
}

/** Start (scenario ms) of the first phase with this name. */
export function phaseStart(scenario: Scenario, name: Phase['name']): number {
  let start = 0;
  for (const phase of scenario.phases) {
    if (phase.name === name) return start;
    start += phase.durationMs;
  }
  throw new InvalidOptionError('phases', `no "${name}" phase`);
}

/** The phase in force at scenario time `t` (the last one after the end). */
export function phaseAt(scenario: Scenario, t: number): Phase {
  let end = 0;
  for (const phase of scenario.phases) {
    end += phase.durationMs;
    if (t < end) return phase;
  }
  return scenario.phases[scenario.phases.length - 1]!;
}

function positive(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(name, `expected a finite number > 0, got ${String(value)}`);
  }
}

/** Rejects a scenario that cannot run (thrown before any server starts). */
export function validateScenario(scenario: Scenario): Scenario {
  positive('scale', scenario.scale);
  if (scenario.scale > 1) throw new InvalidOptionError('scale', 'expected at most 1 (a compression)');
  for (const key of [
    'rate',
    'latencyMs',
    'capacityWindowMs',
    'quotaPerMinute',
    'deadlineMs',
    'bucketMs',
  ] as const) {
    positive(key, scenario[key]);
  }
  if (!Number.isInteger(scenario.clients) || scenario.clients < 1) {
    throw new InvalidOptionError('clients', `expected an integer >= 1, got ${String(scenario.clients)}`);
  }
  if (!(scenario.rejectCost >= 0 && scenario.rejectCost < 1)) {
    throw new InvalidOptionError(
      'rejectCost',
      `expected a number in [0, 1), got ${String(scenario.rejectCost)}`,
    );
  }
  if (scenario.phases.length === 0) throw new InvalidOptionError('phases', 'expected at least one phase');
  for (const phase of scenario.phases) {
    positive(`phases.${phase.name}.durationMs`, phase.durationMs);
    positive(`phases.${phase.name}.capacity`, phase.capacity);
  }
  for (const name of ['overload', 'recovery'] as const) phaseStart(scenario, name);
  return scenario;
}
