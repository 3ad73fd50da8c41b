import { rateLimit, tokenBucket } from '@bulwark/core';
import { leaseStore, redisRateLimitStore } from '@bulwark/redis';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

/** One admission through a limiter on Redis: resolves once admitted. */
export type Admit = () => Promise<unknown>;

export type RedisSubject = 'bulwark' | 'bulwark-lease' | 'rate-limiter-flexible';
export const REDIS_SUBJECTS: readonly RedisSubject[] = ['bulwark', 'bulwark-lease', 'rate-limiter-flexible'];

/** The lease of the `bulwark-lease` subject: 100 calls per round trip, held 100 ms at most. */
const LEASE = { size: 100, maxHoldMs: 100 };

/**
 * The two limiters on the same server and the same client (ioredis), with a limit far above what is asked, so
 * every call is one admission and one round trip: Bulwark's limiter on the Redis store, and
 * rate-limiter-flexible's RateLimiterRedis (`consume`); and Bulwark's limiter through a local lease on the same
 * store (`leaseStore`), which takes a batch of tokens per round trip.
 */
export async function connectSubject(
  subject: RedisSubject,
  url: string,
  prefix: string,
): Promise<{ admit: Admit; close(): void }> {
  const client = new Redis(url, { enableAutoPipelining: false });
  await client.ping();
  const close = () => client.disconnect();
  if (subject !== 'rate-limiter-flexible') {
    const shared = redisRateLimitStore({ client, prefix });
    const policy = rateLimit({
      limits: tokenBucket({ rate: 1e9, capacity: 1e9 }),
      store: subject === 'bulwark' ? shared : leaseStore(shared, LEASE),
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
