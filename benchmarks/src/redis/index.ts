import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../../packages/redis/test/support/redis-server.js';
import type { RedisRow } from './rows.js';
import { connectSubject, drive, REDIS_SUBJECTS, type RedisSubject } from './subjects.js';

export { type RedisRow, renderRedis } from './rows.js';

/**
 * Admission through a rate limiter on a local redis-server, started by the benchmark: Bulwark's Redis store next
 * to rate-limiter-flexible's RateLimiterRedis, same server, same client (ioredis). Latency p50/p99 of one caller
 * at a time (pure round trip), and throughput with many callers from 1 process and from 4 processes at once.
 * Every scenario is played `rounds` times, the subjects taking turns in a rotating order, and each figure of a row
 * is the median of its rounds: on a shared machine one round of a subject may fall on a burst of load.
 */
export interface RedisSize {
  readonly durationMs: number;
  readonly concurrency: number;
  readonly rounds: number;
}

export const fullRedis: RedisSize = { durationMs: 3000, concurrency: 64, rounds: 3 };
export const smokeRedis: RedisSize = { durationMs: 300, concurrency: 8, rounds: 1 };

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Redis's time in script calls (µs) since the last reset: what one admission costs the server, whatever the load. */
async function scriptUsec(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let usec = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=\d+,usec=(\d+)/gm)) usec += Number(m[1]);
  await admin.config('RESETSTAT');
  return usec;
}

function row(
  subject: RedisSubject,
  scenario: string,
  latencies: number[],
  ops: number,
  elapsedMs: number,
  serverUsec: number,
): RedisRow {
  latencies.sort((a, b) => a - b);
  return {
    subject,
    scenario,
    opsPerSec: Math.round((ops / elapsedMs) * 1000),
    p50Ms: Number(quantile(latencies, 0.5).toFixed(3)),
    p99Ms: Number(quantile(latencies, 0.99).toFixed(3)),
    serverUs: Number((serverUsec / Math.max(1, ops)).toFixed(2)),
  };
}

/** Each figure the median of the rounds' (the middle one; the upper middle of an even count). */
function medianRow(rounds: readonly RedisRow[]): RedisRow {
  const median = (pick: (r: RedisRow) => number) =>
    rounds.map(pick).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
  return {
    ...rounds[0]!,
    opsPerSec: median((r) => r.opsPerSec),
    p50Ms: median((r) => r.p50Ms),
    p99Ms: median((r) => r.p99Ms),
    serverUs: median((r) => r.serverUs),
  };
}

/** The subjects in the order of round `round`: each goes first in turn. */
function turn<T>(subjects: readonly T[], round: number): T[] {
  const k = round % subjects.length;
  return [...subjects.slice(k), ...subjects.slice(0, k)];
}

async function fleet(subject: RedisSubject, url: string, size: RedisSize, admin: Redis): Promise<RedisRow> {
  const workers = [0, 1, 2, 3].map(() => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        WORKER,
        subject,
        url,
        `fleet-${subject}`,
        String(size.concurrency),
        String(size.durationMs),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    let onReady = () => {};
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready\n')) onReady();
    });
    const done = new Promise<{ latencies: number[]; elapsedMs: number }>((resolve, reject) =>
      // 'close', not 'exit': the child's output may still be in the pipe when it exits.
      child.once('close', (code) => {
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (code !== 0 || line === undefined) reject(new Error(`redis bench worker exited with ${code}`));
        else resolve(JSON.parse(line));
      }),
    );
    return { child, ready, done };
  });
  await Promise.all(workers.map((w) => w.ready));
  await scriptUsec(admin);
  for (const w of workers) w.child.stdin.write('go\n');
  const runs = await Promise.all(workers.map((w) => w.done));
  const latencies = runs.flatMap((r) => r.latencies);
  const elapsed = Math.max(...runs.map((r) => r.elapsedMs));
  const usec = await scriptUsec(admin);
  return row(
    subject,
    `4 processes × ${size.concurrency} callers`,
    latencies,
    latencies.length,
    elapsed,
    usec,
  );
}

export async function runRedis(size: RedisSize, log: (line: string) => void = () => {}): Promise<RedisRow[]> {
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  const rows: RedisRow[] = [];
  try {
    // Interleaved by scenario, so every subject sees the same machine load.
    const connected = [];
    for (const subject of REDIS_SUBJECTS) {
      const { admit, close } = await connectSubject(subject, server.url, `one-${subject}`);
      for (let i = 0; i < 500; i++) await admit();
      connected.push({ subject, admit, close });
    }
    for (const [scenario, concurrency] of [
      ['1 process, 1 caller', 1],
      [`1 process × ${size.concurrency} callers`, size.concurrency],
    ] as const) {
      const rounds = new Map<RedisSubject, RedisRow[]>();
      for (let round = 0; round < size.rounds; round++) {
        for (const { subject, admit } of turn(connected, round)) {
          await scriptUsec(admin);
          const run = await drive(admit, concurrency, size.durationMs);
          const usec = await scriptUsec(admin);
          const played = row(subject, scenario, run.latencies, run.latencies.length, run.elapsedMs, usec);
          rounds.set(subject, [...(rounds.get(subject) ?? []), played]);
        }
      }
      for (const subject of REDIS_SUBJECTS) rows.push(medianRow(rounds.get(subject)!));
    }
    for (const { close } of connected) close();
    log('redis: one process done');
    const rounds = new Map<RedisSubject, RedisRow[]>();
    for (let round = 0; round < size.rounds; round++) {
      for (const subject of turn(REDIS_SUBJECTS, round)) {
        rounds.set(subject, [...(rounds.get(subject) ?? []), await fleet(subject, server.url, size, admin)]);
        log(`redis: ${subject} from 4 processes, round ${round + 1} of ${size.rounds}, done`);
      }
    }
    for (const subject of REDIS_SUBJECTS) rows.push(medianRow(rounds.get(subject)!));
  } finally {
    admin.disconnect();
    await server.close();
  }
  return rows;
}
