import { type RateLimit, slidingWindow, tokenBucket } from '@bulwark/core';
import { MemoryRateLimitStore, type RateLimitScope } from '@bulwark/core/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentClockStore } from '../../src/rate-limit/test-clock.js';
import { clientKinds, connectClient, type TestClient } from '../support/clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

/**
 * The state is kept as little-endian doubles, moved by Lua's struct a chunk at a time: a state far larger than
 * one chunk (and than Lua's stack, 8000 values) reads back exactly, and decides as the memory store does.
 */
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

let run = 0;

describe.each(clientKinds)('the stored state through %s', (kind) => {
  let client: TestClient;
  beforeAll(async () => {
    client = await connectClient(kind, server.url);
  });
  afterAll(() => client?.close());

  const cases: Array<[string, RateLimit[]]> = [
    [
      'five 1000-segment windows and a bucket',
      [
        tokenBucket({ rate: 3.7, per: 333.3, capacity: 2.5 }),
        ...[1, 2, 3, 4, 5].map((i) =>
          slidingWindow({ limit: 10 * i, window: 1000 * i + 0.1, segments: 1000 }),
        ),
      ],
    ],
    // A few buckets are held in Lua locals; this many (past Lua's limit of locals) in a table.
    [
      '40 buckets',
      Array.from({ length: 40 }, (_, i) => tokenBucket({ rate: 1 + i, per: 333.3, capacity: 2.5 })),
    ],
    ['3 buckets', [1, 2, 3].map((i) => tokenBucket({ rate: i, per: 100, capacity: 2 }))],
  ];

  it.each(cases)('round-trips a state of %s exactly', async (_, limits) => {
    const scope: RateLimitScope = { id: JSON.stringify(limits), limits };
    let now = 1_796_000_000_000.125;
    const redis = new ArgumentClockStore({ client: client.scripts, prefix: `enc${run++}` }, () => now);
    const memory = new MemoryRateLimitStore();
    for (let i = 0; i < 40; i++) {
      now += (i * 7.3) % 50;
      const costs = limits.map((_, j) => ((i + j) % 3) * 0.5);
      const [a, b] = await Promise.all(
        [memory, redis].map((s) => s.acquire({ scope, key: 'k', costs, now, marks: [] })),
      );
      expect(b!.admitted).toBe(a!.admitted);
    }
    const [a, b] = await Promise.all([memory, redis].map((s) => s.read({ scope, key: 'k', now })));
    expect(b!.state).toEqual(a!.state);
  });
});
