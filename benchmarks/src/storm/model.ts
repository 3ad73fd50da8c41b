/**
 * The storm on a virtual clock: the storm service's model (capacity, quota, refusals) answers client policies
 * directly, with no HTTP, no SDK and no real waiting. One run of the full scenario costs about a second of CPU and
 * is the same for the same seed, so designs of a policy can be compared over many seeds, where the real storm
 * gives one noisy sample per 20 s. It leaves out what the real storm measures on top: the SDK, the network stack
 * and the event loops of a busy machine.
 */
import {
  adaptiveConcurrency,
  type AdaptiveConcurrencyOptions,
  type Clock,
  deadlineSignal,
  exponential,
  isOverloadError,
  pipeline,
  retry,
  retryBudget,
  sleep,
} from '@bulwark/core';
import { seededRandom, VirtualClock } from '@bulwark/core/testing';
import { COMPLETION_FIRST, type Profile } from './profiles.js';
import { durationOf, fullScenario, type Scenario } from './scenario.js';
import { OK, OVERLOADED, QUOTA, ServiceModel } from './service/model.js';
import type { RunLogs } from './workload.js';

/** Sends one request to the modelled service; rejects like the service's 503/429, or with the signal's reason. */
export type Send = (signal: AbortSignal) => Promise<unknown>;

/** One client process in the model: runs `send` under its policies until success or give-up. */
export type ModelClient = (send: Send, signal: AbortSignal) => Promise<unknown>;

export interface ModelStrategy {
  readonly id: string;
  readonly label: string;
  create(env: { readonly clock: Clock; readonly random: () => number }): ModelClient;
}

export interface ModelOptions {
  readonly seed?: number;
  /** Spread of the service's answer times, uniform in [0, jitterMs) scenario ms on top of its latency. Default 150. */
  readonly jitterMs?: number;
  /** Scenario ms before a refusal reaches the client. Default 5. */
  readonly refusalMs?: number;
}

/** Extra scenario time after the last deadline, so every request settles before the run ends. */
const GRACE_MS = 5_000;

/**
 * Plays the scenario's open-loop workload (request i at i / rate, by client i mod clients) through `strategy` on a
 * virtual clock, every caller giving up at its deadline, and returns the same logs as the real storm.
 */
export async function playModel(
  strategy: ModelStrategy,
  scenario: Scenario,
  options: ModelOptions = {},
): Promise<RunLogs> {
  const seed = options.seed ?? 1;
  const jitter = options.jitterMs ?? 150;
  const refusalMs = options.refusalMs ?? 5;
  const clock = new VirtualClock(0);
  const service = new ServiceModel(scenario, 0, clock);
  const random = seededRandom(seed);
  const clients = Array.from({ length: scenario.clients }, (_, i) =>
    strategy.create({ clock, random: seededRandom(seed * 1_000 + i) }),
  );

  const times: number[] = [];
  const outcomes: number[] = [];
  const send: Send = async (signal) => {
    // Like fetch: an aborted request is never sent.
    if (signal.aborted) throw signal.reason;
    const verdict = service.decide();
    times.push(clock.now());
    const code = verdict.kind === 'ok' ? OK : verdict.kind === 'overloaded' ? OVERLOADED : QUOTA;
    outcomes.push(code);
    await sleep((code === OK ? scenario.latencyMs : refusalMs) + random() * jitter, signal, clock);
    if (verdict.kind !== 'ok') throw refusal(verdict);
    return 'ok';
  };

  const total = Math.floor((scenario.rate * durationOf(scenario)) / 1000);
  const issued = new Float64Array(total);
  const ended = new Float64Array(total).fill(Number.NaN);
  const ok = new Uint8Array(total);
  let next = 0;
  const issueDue = (): void => {
    const now = clock.now();
    while (next < total && (next * 1000) / scenario.rate <= now) {
      const i = next++;
      issued[i] = (i * 1000) / scenario.rate;
      const signal = deadlineSignal(issued[i]! + scenario.deadlineMs - now, { clock });
      clients[i % clients.length]!(send, signal).then(
        () => {
          ended[i] = clock.now();
          ok[i] = signal.aborted ? 0 : 1;
        },
        () => {
          ended[i] = clock.now();
        },
      );
    }
    if (next < total) clock.setTimer(issueDue, (next * 1000) / scenario.rate - now);
  };
  clock.setTimer(issueDue, 0);
  await clock.advanceTo(durationOf(scenario) + scenario.deadlineMs + GRACE_MS);

  let abandoned = 0;
  for (let i = 0; i < total; i++) {
    if (Number.isNaN(ended[i]!)) {
      ended[i] = clock.now();
      abandoned++;
    }
  }
  return {
    client: { issued, ended, ok, abandoned, loopDelayP99Ms: 0, loopDelayMaxMs: 0 },
    service: {
      times: Float64Array.from(times),
      outcomes: Uint8Array.from(outcomes),
      unrouted: 0,
      loopDelayMaxMs: 0,
    },
  };
}

function refusal(verdict: { kind: 'overloaded' } | { kind: 'quota'; retryDelayMs: number }): Error {
  return verdict.kind === 'quota'
    ? Object.assign(new Error('429 Too Many Requests'), { status: 429, retryAfterMs: verdict.retryDelayMs })
    : Object.assign(new Error('503 Service Unavailable'), { status: 503 });
}

/**
 * Bulwark's layers as `withResilience` composes them per model, from core: retry (3 attempts, 200 ms exponential
 * backoff, one retry budget per client) around adaptiveConcurrency (initial service time 1 s) with the profile's
 * queueing (profiles.ts: by default maxWait 60 s, earliest deadline first), and `concurrency` merged into the
 * latter's options (to try other settings).
 */
export function bulwarkModel(
  concurrency: AdaptiveConcurrencyOptions = {},
  profile: Profile = COMPLETION_FIRST,
): ModelStrategy {
  return {
    id: `bulwark${profile.id}`,
    label: `Bulwark, ${profile.label} (retry + retryBudget + adaptiveConcurrency)`,
    create({ clock, random }) {
      const policy = pipeline(
        retry({
          maxAttempts: 3,
          backoff: exponential({ initialDelay: 200, maxDelay: 30_000, random }),
          handle: isOverloadError,
          budget: retryBudget({ window: 10_000, minRetriesPerSecond: 1, clock }),
          clock,
          random,
        }),
        adaptiveConcurrency({ initialRtt: 1_000, ...profile.concurrency, ...concurrency, clock }),
      );
      return (send, signal) => policy.execute(({ signal: attempt }) => send(attempt), { signal });
    },
  };
}

/** The hand-written loop of the real storm: 4 attempts, a fixed 1 s between them, every error retried. */
export const naiveModel: ModelStrategy = {
  id: 'naive',
  label: 'Naive retries (4 attempts, fixed 1 s)',
  create({ clock }) {
    return async (send, signal) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await send(signal);
        } catch (error) {
          if (signal.aborted || attempt >= 4) throw error;
          await sleep(1_000, signal, clock);
        }
      }
    };
  },
};

/** One attempt per request. */
export const noRetriesModel: ModelStrategy = {
  id: 'none',
  label: 'No retries',
  create: () => (send, signal) => send(signal),
};

/** Scenarios for the model only: the storm, and two shapes a change must not make worse. */
export const modelScenarios: Readonly<Record<string, Scenario>> = {
  full: fullScenario,
  steady: {
    ...fullScenario,
    name: 'steady',
    rate: 50,
    phases: [
      { name: 'healthy', durationMs: 60_000, capacity: 40 },
      { name: 'overload', durationMs: 60_000, capacity: 40 },
      { name: 'recovery', durationMs: 60_000, capacity: 40 },
    ],
    quotaPerMinute: 1e9,
  },
  large: {
    ...fullScenario,
    name: 'large',
    rate: fullScenario.rate * 10,
    phases: fullScenario.phases.map((phase) => ({ ...phase, capacity: phase.capacity * 10 })),
    quotaPerMinute: fullScenario.quotaPerMinute * 10,
  },
};
