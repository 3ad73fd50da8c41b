/** redisStore(): the Redis store behind its guard, as docs/distributed.md tells services to build it. */
import { InvalidOptionError, rateLimit, tokenBucket } from '@bulwark/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardedRateLimitStore, redisStore } from '../src/index.js';
import { connectForOutage } from './guard/outage-clients.js';
import { clientKinds } from './support/clients.js';
import { type RedisServer, startRedisServer } from './support/redis-server.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

describe('redisStore options', () => {
  const client = { evalSha: async () => 0, eval: async () => 0 };

  it('checks both the store options and the guard options, naming the bad one', () => {
    expect(() => redisStore({ client, prefix: 'a{b}' })).toThrow(InvalidOptionError);
    expect(() => redisStore({ client, prefix: 'a{b}' })).toThrow(/prefix/);
    expect(() => redisStore({ client, callTimeoutMs: 0 })).toThrow(/callTimeoutMs/);
    expect(() => redisStore({ client, onStoreError: 'ignore' as never })).toThrow(/onStoreError/);
    expect(() => redisStore({ client: undefined as never })).toThrow(/client/);
  });

  it('is guarded with the documented defaults', () => {
    const store = redisStore({ client });
    expect(store).toBeInstanceOf(GuardedRateLimitStore);
    expect(store.callTimeoutMs).toBe(250);
    expect(store.mode).toBe('local');
    expect(store.name).toBe('redis');
    store.close();
  });
});

describe.each(clientKinds)('redisStore through %s', (kind) => {
  it('shares usage through Redis, falls back to local limits while Redis is stopped, and comes back', async () => {
    const a = await connectForOutage(kind, server.url, 'fail-fast');
    const b = await connectForOutage(kind, server.url, 'fail-fast');
    const prefix = `redis-store-${kind}`;
    const storeA = redisStore({ client: a.scripts, prefix });
    const storeB = redisStore({ client: b.scripts, prefix });
    const limits = tokenBucket({ rate: 2, per: 3_600_000, capacity: 2 });
    const limiterA = rateLimit({ limits, store: storeA, mode: 'reject' });
    const limiterB = rateLimit({ limits, store: storeB, mode: 'reject' });
    try {
      // Two processes, one bucket of 2: the third call is refused whichever process makes it.
      await limiterA.execute(() => 'a1');
      await limiterB.execute(() => 'b1');
      await expect(limiterA.execute(() => 'a2')).rejects.toMatchObject({ code: 'RATE_LIMITED' });

      const down = new Promise((resolve) => storeA.events.once('unavailable', resolve));
      await server.stop();
      // Redis is gone: this process's own bucket (full) admits, the outage is reported once.
      await expect(limiterA.execute(() => 'local')).resolves.toBe('local');
      await down;
      expect(storeA.available).toBe(false);

      const up = new Promise((resolve) => storeA.events.once('recovered', resolve));
      await server.start();
      await up;
      expect(storeA.available).toBe(true);
    } finally {
      storeA.close();
      storeB.close();
      a.close();
      b.close();
    }
  });
});
