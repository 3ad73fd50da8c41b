import { type RateLimit, tokenBucket } from '@bulwark/core';
import type { RateLimitScope } from '@bulwark/core/store';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_CONFIGURATION_SCRIPTS } from '../../src/rate-limit/lua/scripts.js';
import { ArgumentClockStore } from '../../src/rate-limit/test-clock.js';
import { connectClient, type TestClient } from '../support/clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

/**
 * Each configuration runs a script with its numbers written in, up to MAX_CONFIGURATION_SCRIPTS per process; the
 * rest share their shape's script: Redis's script cache stays bounded however many limits a process makes. (The
 * test clock's scripts, bounded the same way, so that the waits are exact.)
 */
let server: RedisServer;
let client: TestClient;
beforeAll(async () => {
  server = await startRedisServer();
  client = await connectClient('ioredis', server.url);
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

async function cachedScripts(): Promise<number> {
  const info = String(await client.command(['INFO', 'memory']));
  return Number(/number_of_cached_scripts:(\d+)/.exec(info)?.[1]);
}

it('keeps the server holding at most the bound plus one script per shape, every configuration deciding right', async () => {
  const store = new ArgumentClockStore({ client: client.scripts, prefix: 'cache' }, () => 1_000_000);
  const configurations = MAX_CONFIGURATION_SCRIPTS + 40;
  for (let i = 0; i < configurations; i++) {
    const limits: RateLimit[] = [tokenBucket({ rate: 1, per: 1000 + i })];
    const scope: RateLimitScope = { id: JSON.stringify(limits), limits };
    const first = await store.acquire({ scope, key: 'k', costs: [1], now: 0 });
    const second = await store.acquire({ scope, key: 'k', costs: [1], now: 0 });
    expect(first.admitted).toBe(true);
    // One unit a (1000 + i) ms: the second waits that long, whichever script decided.
    expect(second).toMatchObject({ admitted: false, retryAfterMs: 1000 + i, limit: 0 });
  }
  expect(await cachedScripts()).toBe(MAX_CONFIGURATION_SCRIPTS + 1);
});
