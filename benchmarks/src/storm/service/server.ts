import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Clock } from '@bulwark/core';
import type { Scenario } from '../scenario.js';
import { OK, OVERLOADED, QUOTA, ServiceModel } from './model.js';
import { bodies, generateContentModel, quotaBody } from './wire.js';

/** What the service saw: one entry per request, in arrival order (scenario ms, outcome code). */
export interface ServiceLog {
  readonly times: Float64Array;
  readonly outcomes: Uint8Array;
  /** Requests that were not generateContent calls (should stay 0). */
  readonly unrouted: number;
  /** The service thread's longest event-loop stall after `begin` (real ms). */
  readonly loopDelayMaxMs: number;
}

export interface StormService {
  readonly url: string;
  /**
   * Starts the scenario's timeline at `atRealMs` (epoch ms, see `preciseNow`; default now). Requests before
   * `begin` are answered as healthy and not logged.
   */
  begin(atRealMs?: number): void;
  /** Stops the server (closing every connection) and returns the log. */
  close(): Promise<ServiceLog>;
}

/** Real time with sub-millisecond resolution, comparable across threads (epoch-based). */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

/** A clock reading scenario time: real time divided by the compression. Only `now` is used by the model. */
function scenarioClock(scale: number): Clock {
  return {
    now: () => preciseNow() / scale,
    setTimer: () => {
      throw new Error('scenarioClock has no timers');
    },
    clearTimer: () => {},
  };
}

class GrowingLog {
  times = new Float64Array(4096);
  outcomes = new Uint8Array(4096);
  size = 0;

  push(time: number, outcome: number): void {
    if (this.size === this.times.length) {
      const times = new Float64Array(this.size * 2);
      times.set(this.times);
      this.times = times;
      const outcomes = new Uint8Array(this.size * 2);
      outcomes.set(this.outcomes);
      this.outcomes = outcomes;
    }
    this.times[this.size] = time;
    this.outcomes[this.size] = outcome;
    this.size++;
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8' };

/**
 * Starts the overloaded Gemini-like service on 127.0.0.1 (a free port). Served requests answer after the
 * scenario's latency; refusals answer at once.
 */
export async function startStormService(scenario: Scenario): Promise<StormService> {
  const clock = scenarioClock(scenario.scale);
  let model: ServiceModel | undefined;
  const log = new GrowingLog();
  let unrouted = 0;
  const latencyRealMs = scenario.latencyMs * scenario.scale;
  const pending = new Set<NodeJS.Timeout>();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });

  function answer(res: ServerResponse, status: number, body: string): void {
    if (res.destroyed) return;
    res.writeHead(status, JSON_HEADERS);
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const name = req.method === 'POST' ? generateContentModel(path) : undefined;
    // Drain the body without keeping it: only its arrival matters.
    req.resume();
    if (name === undefined) {
      unrouted++;
      answer(res, 404, JSON.stringify({ error: { code: 404, message: 'not found', status: 'NOT_FOUND' } }));
      return;
    }
    const verdict = model?.decide() ?? { kind: 'ok' as const };
    if (model !== undefined) {
      const code = verdict.kind === 'ok' ? OK : verdict.kind === 'overloaded' ? OVERLOADED : QUOTA;
      log.push(model.elapsed(), code);
    }
    if (verdict.kind === 'overloaded') {
      answer(res, 503, bodies.overloaded);
      return;
    }
    if (verdict.kind === 'quota') {
      answer(res, 429, quotaBody(name, scenario.quotaPerMinute, verdict.retryDelayMs * scenario.scale));
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      answer(res, 200, bodies.answer);
    }, latencyRealMs);
    pending.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      pending.delete(timer);
    });
  }

  const server = createServer({ keepAliveTimeout: 5_000 }, handle);
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    begin(atRealMs = preciseNow()) {
      model = new ServiceModel(scenario, atRealMs / scenario.scale, clock);
      loopDelay.enable();
    },
    async close() {
      loopDelay.disable();
      const loopDelayMaxMs = model === undefined ? 0 : loopDelay.max / 1e6;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return {
        times: log.times.slice(0, log.size),
        outcomes: log.outcomes.slice(0, log.size),
        unrouted,
        loopDelayMaxMs,
      };
    },
  };
}
