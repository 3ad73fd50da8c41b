/**
 * One process of the fleet: its own SDK client made resilient with `withResilience`, configured per run by the
 * parent (fleet/index.ts), which forks this file with tsx. It plays its share of the open-loop workload and sends
 * back what its callers saw.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deadlineSignal } from '@bulwark/core';
import { GeminiFailure, resilienceOf, withResilience } from '@bulwark/gemini-adapter';
import { redisStore } from '@bulwark/redis';
import { GoogleGenAI } from '@google/genai';
import { createClient } from 'redis';
import type { FromWorker, ProcessLog, RunSpec, ToWorker } from './protocol.js';

type RedisClient = ReturnType<typeof createClient>;

/** Real ms between the scheduler's checks for due calls. */
const TICK_MS = 2;

interface Prepared {
  readonly spec: RunSpec;
  readonly ai: GoogleGenAI;
  readonly redis: RedisClient | undefined;
  readonly storeUnavailable: () => number;
}

async function prepare(spec: RunSpec): Promise<Prepared> {
  const ai = new GoogleGenAI({ apiKey: `fleet-${spec.index}`, httpOptions: { baseUrl: spec.baseUrl } });
  // Opens the HTTP connection and warms the SDK's code up (countTokens is neither limited nor under the quota),
  // before the policies wrap the client: a first call slowed by a loaded machine must not meet the run's deadline.
  await ai.models.countTokens({ model: spec.model, contents: 'warm-up' });
  let redis: RedisClient | undefined;
  let unavailable = 0;
  const common = {
    limits: { [spec.model]: { rpm: spec.rpm } },
    // The caller's deadline bounds everything: a call never queues, waits for a 429's delay or runs past it.
    maxQueueWait: spec.deadlineMs,
    maxRetryDelay: spec.deadlineMs,
    attemptTimeout: spec.deadlineMs,
    totalTimeout: spec.deadlineMs,
  };
  if (spec.redisUrl === undefined) {
    withResilience(ai, common);
  } else {
    redis = createClient({ url: spec.redisUrl });
    await redis.connect();
    // callTimeoutMs above the default 250 ms: on a loaded benchmark machine an event-loop stall of a few hundred
    // ms must not pass for a Redis outage (which would fall back to each process's local limits).
    const store = redisStore({ client: redis, prefix: 'bench-fleet', callTimeoutMs: 1_000 });
    store.events.on('unavailable', () => unavailable++);
    withResilience(ai, { ...common, store, project: spec.project });
  }
  return { spec, ai, redis, storeUnavailable: () => unavailable };
}

function reasonOf(error: unknown): string {
  if (error instanceof GeminiFailure) return error.kind;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return (error as { name?: unknown } | null)?.name === 'AbortError' ? 'deadline' : 'other';
}

/** Plays the spec's calls from `startAt` (epoch ms) on; resolves once every call settled. */
async function play(prepared: Prepared, startAt: number): Promise<ProcessLog> {
  const { spec, ai } = prepared;
  const latencies = new Array<number>(spec.calls).fill(Number.NaN);
  const ok = new Array<number>(spec.calls).fill(0);
  const failures: Record<string, number> = {};
  const requestsBefore = resilienceOf(ai).stats().requests;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let settled = 0;
  let endedAt = startAt;
  let allSettled: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const due = (k: number): number => startAt + spec.offsetMs + (k * 1000) / spec.rate;

  const issue = (k: number): void => {
    const scheduled = due(k);
    const finish = (error: unknown, success: boolean): void => {
      endedAt = Date.now();
      latencies[k] = endedAt - scheduled;
      if (success) ok[k] = 1;
      else {
        const reason = reasonOf(error);
        failures[reason] = (failures[reason] ?? 0) + 1;
      }
      if (++settled === spec.calls) allSettled();
    };
    ai.models
      .generateContent({
        model: spec.model,
        contents: `call ${k} of process ${spec.index}`,
        config: { abortSignal: deadlineSignal(spec.deadlineMs) },
      })
      .then(
        () => finish(undefined, true),
        (error: unknown) => finish(error, false),
      );
  };

  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = Date.now();
      while (next < spec.calls && due(next) <= now) issue(next++);
      if (next < spec.calls) setTimeout(tick, TICK_MS);
      else resolve();
    };
    setTimeout(tick, Math.max(0, startAt - Date.now()));
  });
  if (spec.calls === 0) allSettled();
  await done;
  loopDelay.disable();
  return {
    index: spec.index,
    latencies,
    ok,
    failures,
    endedAt,
    requests: resilienceOf(ai).stats().requests - requestsBefore,
    storeUnavailable: prepared.storeUnavailable(),
    loopDelayMaxMs: loopDelay.max / 1e6,
  };
}

function send(message: FromWorker): void {
  process.send!(message);
}

let prepared: Prepared | undefined;
process.on('message', (message: ToWorker) => {
  const step = async (): Promise<void> => {
    if (message.type === 'prepare') {
      prepared = await prepare(message.spec);
      send({ type: 'prepared' });
    } else if (message.type === 'go') {
      const run = prepared!;
      prepared = undefined;
      const log = await play(run, message.startAt);
      await run.redis?.quit();
      send({ type: 'result', log });
    } else {
      process.disconnect();
    }
  };
  step().catch((error: unknown) =>
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
// The parent going away ends this process (nothing else keeps it alive once the channel closes).
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
