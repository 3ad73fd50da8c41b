import { rateLimit, tokenBucket } from '@bulwark/core';
import { redisRateLimitStore } from '@bulwark/redis';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

/** One admission through a limiter on Redis: resolves once admitted. */
export type Admit = () => Promise<unknown>;

export type RedisSubject = 'bulwark' | 'rate-limiter-flexible';
export const REDIS_SUBJECTS: readonly RedisSubject[] = ['bulwark', 'rate-limiter-flexible'];

/**
 * The two limiters on the same server and the same client (ioredis), with a limit far above what is asked, so
 * every call is one admission and one round trip: Bulwark's limiter on the Redis store, and
 * rate-limiter-flexible's RateLimiterRedis (`consume`).
 */
export async function connectSubject(
  subject: RedisSubject,
  url: string,
  prefix: string,
): Promise<{ admit: Admit; close(): void }> {
  const client = new Redis(url, { enableAutoPipelining: false });
  await client.ping();
  const close = () => client.disconnect();
  if (subject === 'bulwark') {
    const policy = rateLimit({
      limits: tokenBucket({ rate: 1e9, capacity: 1e9 }),
      store: redisRateLimitStore({ client, prefix }),
    });
    const task = () => undefined;
    return { admit: () => policy.execute(task), close };
  }
  const limiter = new RateLimiterRedis({ storeClient: client, points: 1e9, duration: 60, keyPrefix: prefix });
  return { admit: () => limiter.consume('key'), close };
}

/** Runs `admit` from `concurrency` loops for `durationMs`; every call's latency (ms) is recorded. */
export async function drive(admit: Admit, concurrency: number, durationMs: number) {
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  const loop = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      await admit();
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { latencies, elapsedMs: performance.now() - started };
}
