import { rateLimit, tokenBucket } from '@bulwark/core';
import type { RateLimitScope } from '@bulwark/core/store';
import { VirtualClock } from '@bulwark/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseStore, type RedisScriptClient, redisRateLimitStore } from '../../../src/index.js';
import { ArgumentClockStore } from '../../../src/rate-limit/test-clock.js';
import { clientKinds, connectClient, type TestClient } from '../../support/clients.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';

/** The lease on the Redis store, through both clients: round trips saved, the rest given back on Redis. */
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

let run = 0;

function counted(inner: RedisScriptClient, calls: { n: number }): RedisScriptClient {
  return {
    evalSha: (sha, keys, args) => {
      calls.n++;
      return inner.evalSha(sha, keys, args);
    },
    eval: (source, keys, args) => inner.eval(source, keys, args),
  };
}

describe.each(clientKinds)('a lease on the Redis store through %s', (kind) => {
  let client: TestClient;
  beforeAll(async () => {
    client = await connectClient(kind, server.url);
  });
  afterAll(() => client?.close());

  it('takes a batch per round trip, and gives the rest back on Redis when the lease ends (virtual time)', async () => {
    const clock = new VirtualClock(1_796_000_000_000);
    const calls = { n: 0 };
    const redis = new ArgumentClockStore(
      { client: counted(client.scripts, calls), prefix: `lease${run++}` },
      () => clock.now(),
    );
    const store = leaseStore(redis, { size: 8, maxHoldMs: 50, clock });
    const policy = rateLimit({
      limits: tokenBucket({ rate: 10, capacity: 20 }),
      mode: 'reject',
      clock,
      store,
    });
    const scope: RateLimitScope = policy.scope;
    const start = clock.now();
    for (let i = 0; i < 16; i++) await policy.execute(() => i);
    expect(calls.n).toBe(2);
    // Two batches of 8 taken on Redis (a token every 100 ms).
    const reading = await redis.read({ scope, key: '', now: clock.now() });
    expect(reading.state!.limits[0]).toMatchObject({ tat: start + 1600 });
    // (That reading was a round trip too.) 4 left in the bucket: a batch of 8 is refused, this call goes alone.
    await policy.execute(() => 'x');
    expect(calls.n).toBe(5);
    await clock.advance(1000);
    // A new lease of 8 for 3 calls; at its end (50 ms) the 5 left go back (the same connection: read after it).
    for (let i = 0; i < 3; i++) await policy.execute(() => i);
    expect(calls.n).toBe(6);
    await clock.advance(50);
    const after = await redis.read({ scope, key: '', now: clock.now() });
    expect(after.state!.limits[0]).toMatchObject({ tat: start + 1700 + 800 - 500 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('admits through a limiter on the production store, many calls per round trip', async () => {
    const calls = { n: 0 };
    const store = leaseStore(
      redisRateLimitStore({ client: counted(client.scripts, calls), prefix: `lease${run++}` }),
      {
        size: 25,
      },
    );
    const policy = rateLimit({ limits: tokenBucket({ rate: 1000, capacity: 1000 }), mode: 'reject', store });
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => policy.execute(() => i)));
    expect(results).toHaveLength(100);
    expect(calls.n).toBeLessThanOrEqual(8);
  });
});
