import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../../../packages/redis/test/support/redis-server.js';
import type { RedisRow } from './rows.js';
import { connectSubject, drive, REDIS_SUBJECTS, type RedisSubject } from './subjects.js';

export { type RedisRow, renderRedis } from './rows.js';

/**
 * Admission through a rate limiter on a local redis-server, started by the benchmark: Bulwark's Redis store next
 * to rate-limiter-flexible's RateLimiterRedis, same server, same client (ioredis). Latency p50/p99 of one caller
 * at a time (pure round trip), and throughput with many callers from 1 process and from 4 processes at once.
 */
export interface RedisSize {
  readonly durationMs: number;
  readonly concurrency: number;
}

export const fullRedis: RedisSize = { durationMs: 3000, concurrency: 64 };
export const smokeRedis: RedisSize = { durationMs: 300, concurrency: 8 };

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function row(
  subject: RedisSubject,
  scenario: string,
  latencies: number[],
  ops: number,
  elapsedMs: number,
): RedisRow {
  latencies.sort((a, b) => a - b);
  return {
    subject,
    scenario,
    opsPerSec: Math.round((ops / elapsedMs) * 1000),
    p50Ms: Number(quantile(latencies, 0.5).toFixed(3)),
    p99Ms: Number(quantile(latencies, 0.99).toFixed(3)),
  };
}

async function fleet(subject: RedisSubject, url: string, size: RedisSize): Promise<RedisRow> {
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
      child.once('exit', (code) => {
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (code !== 0 || line === undefined) reject(new Error(`redis bench worker exited with ${code}`));
        else resolve(JSON.parse(line));
      }),
    );
    return { child, ready, done };
  });
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin.write('go\n');
  const runs = await Promise.all(workers.map((w) => w.done));
  const latencies = runs.flatMap((r) => r.latencies);
  const elapsed = Math.max(...runs.map((r) => r.elapsedMs));
  return row(subject, `4 processes × ${size.concurrency} callers`, latencies, latencies.length, elapsed);
}

export async function runRedis(size: RedisSize, log: (line: string) => void = () => {}): Promise<RedisRow[]> {
  const server = await startRedisServer();
  const rows: RedisRow[] = [];
  try {
    // Interleaved by scenario, so both subjects see the same machine load.
    for (const subject of REDIS_SUBJECTS) {
      const { admit, close } = await connectSubject(subject, server.url, `one-${subject}`);
      for (let i = 0; i < 500; i++) await admit();
      const serial = await drive(admit, 1, size.durationMs);
      rows.push(
        row(subject, '1 process, 1 caller', serial.latencies, serial.latencies.length, serial.elapsedMs),
      );
      const many = await drive(admit, size.concurrency, size.durationMs);
      rows.push(
        row(
          subject,
          `1 process × ${size.concurrency} callers`,
          many.latencies,
          many.latencies.length,
          many.elapsedMs,
        ),
      );
      close();
      log(`redis: ${subject} in one process done`);
    }
    for (const subject of REDIS_SUBJECTS) {
      rows.push(await fleet(subject, server.url, size));
      log(`redis: ${subject} from 4 processes done`);
    }
  } finally {
    await server.close();
  }
  return rows;
}
