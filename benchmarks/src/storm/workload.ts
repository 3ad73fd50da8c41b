import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seededRandom } from '@bulwark/core/testing';
import { durationOf, type Scenario } from './scenario.js';
import { preciseNow, type ServiceLog, type StormService } from './service/server.js';
import type { Strategy } from './strategies/types.js';

/** What the clients saw: one entry per logical request, in issue order (scenario ms). */
export interface ClientLog {
  /** Scheduled issue time. */
  readonly issued: Float64Array;
  /** When the request settled (success or give-up); the hard stop for requests that never settled. */
  readonly ended: Float64Array;
  /** 1 when it succeeded. */
  readonly ok: Uint8Array;
  /** Requests still pending at the hard stop (a strategy that ignored its caller's deadline). */
  readonly abandoned: number;
  /** Event-loop delay of the client thread during the run (real ms): how busy the measuring machine was. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export interface RunLogs {
  readonly client: ClientLog;
  readonly service: ServiceLog;
}

const MODEL = 'gemini-2.5-flash';
/** Sequential calls per client instance before the timeline starts: connections open, code warmed up. */
const WARMUP_CALLS = 3;
/** Real ms between the scheduler's checks for due requests. */
const TICK_MS = 2;
/** Real ms granted after the last deadline before pending requests are abandoned. */
const GRACE_MS = 2_000;

/**
 * Plays the scenario's fixed open-loop workload through `strategy` against `service`: request i is issued at
 * scenario time i / rate, by client instance i mod clients, whatever happened to earlier requests.
 */
export async function playWorkload(
  strategy: Strategy,
  scenario: Scenario,
  service: StormService,
): Promise<RunLogs> {
  const { scale } = scenario;
  const clients = Array.from({ length: scenario.clients }, (_, i) =>
    strategy.create({ baseUrl: service.url, scale, model: MODEL, random: seededRandom(scenario.seed + i) }),
  );
  for (const client of clients) {
    for (let i = 0; i < WARMUP_CALLS; i++) await client.call(AbortSignal.timeout(5_000), Date.now() + 5_000);
  }

  const total = Math.floor((scenario.rate * durationOf(scenario)) / 1000);
  const issued = new Float64Array(total);
  const ended = new Float64Array(total).fill(Number.NaN);
  const ok = new Uint8Array(total);
  const deadlineReal = scenario.deadlineMs * scale;
  const start = preciseNow() + 20;
  service.begin(start);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const toScenario = (real: number): number => (real - start) / scale;

  let next = 0;
  let settled = 0;
  let allSettled: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allSettled = resolve;
  });

  const issue = (i: number): void => {
    const t = (i * 1000) / scenario.rate;
    issued[i] = t;
    const deadline = start + (t + scenario.deadlineMs) * scale;
    const signal = AbortSignal.timeout(Math.max(1, Math.round(deadline - preciseNow())));
    const finish = (success: boolean): void => {
      if (!Number.isNaN(ended[i]!)) return;
      ended[i] = toScenario(preciseNow());
      ok[i] = success ? 1 : 0;
      if (++settled === total) allSettled();
    };
    let pending: Promise<unknown>;
    try {
      pending = clients[i % clients.length]!.call(signal, deadline);
    } catch {
      finish(false);
      return;
    }
    pending.then(
      () => finish(true),
      () => finish(false),
    );
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = toScenario(preciseNow());
      while (next < total && (next * 1000) / scenario.rate <= now) issue(next++);
      if (next < total) setTimeout(tick, TICK_MS);
      else resolve();
    };
    const wait = start - preciseNow();
    setTimeout(tick, Math.max(0, wait));
  });

  let hardStop: NodeJS.Timeout | undefined;
  const stopped = new Promise<void>((resolve) => {
    hardStop = setTimeout(resolve, deadlineReal + GRACE_MS);
  });
  if (total === 0) allSettled();
  await Promise.race([done, stopped]);
  clearTimeout(hardStop);

  loopDelay.disable();
  let abandoned = 0;
  const stopTime = toScenario(preciseNow());
  for (let i = 0; i < total; i++) {
    if (Number.isNaN(ended[i]!)) {
      ended[i] = stopTime;
      abandoned++;
    }
  }
  const serviceLog = await service.close();
  return {
    client: {
      issued,
      ended,
      ok,
      abandoned,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
    },
    service: serviceLog,
  };
}
