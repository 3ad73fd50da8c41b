/**
 * Valkey's own Node client (`iovalkey`, the ioredis fork Valkey maintains) drives the store as it is: the same
 * `toScriptClient` shape as ioredis. The server here is redis-server; a valkey-server runs the whole suite through
 * BULWARK_REDIS_SERVER=valkey-server (Debian bookworm, where CI runs, has no valkey package).
 */
import { rateLimit, tokenBucket } from '@bulwark/core';
import Valkey from 'iovalkey';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisStore } from '../src/index.js';
import { type RedisServer, startRedisServer } from './support/redis-server.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

it('iovalkey: a limiter on redisStore shares one bucket between two clients', async () => {
  const clients = [new Valkey(server.port, '127.0.0.1'), new Valkey(server.port, '127.0.0.1')];
  const stores = clients.map((client) => redisStore({ client, prefix: 'iovalkey' }));
  try {
    const limits = tokenBucket({ rate: 3, per: 3_600_000, capacity: 3 });
    const [a, b] = stores.map((store) => rateLimit({ limits, store, mode: 'reject' }));
    const outcomes = await Promise.allSettled([a, b, a, b].map((limiter) => limiter!.execute(() => 'ran')));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    expect(stores.every((store) => store.available)).toBe(true);
  } finally {
    for (const store of stores) store.close();
    for (const client of clients) client.disconnect();
  }
});
