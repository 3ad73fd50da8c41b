import { type RateLimit, rateLimit, slidingWindow, tokenBucket } from '@bulwark/core';
import { MemoryRateLimitStore, type RateLimitScope, type RateLimitStore } from '@bulwark/core/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardStore, leaseStore, redisRateLimitStore } from '../../src/index.js';
import { scopeKeys } from '../../src/rate-limit/keys.js';
import { RELIMIT_RECORD_MS } from '../../src/rate-limit/lua/operations.js';
import { ArgumentClockStore } from '../../src/rate-limit/test-clock.js';
import { clientKinds, connectClient, type TestClient } from '../support/clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

/**
 * relimit on Redis: every key of the scope converted at once (a bucket's backlog keeps its amount in units), from
 * the numbers the fleet last converted to, so processes changing to the same numbers convert once.
 */
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

let run = 0;
const T0 = 1_796_000_000_000;
const scopeOf = (limits: readonly RateLimit[], id = JSON.stringify(limits)): RateLimitScope => ({
  id,
  limits,
});

/** The first limit's (a bucket's) backlog at `now`: how far its tat is ahead (what a relimit rescales). */
async function backlog(store: RateLimitStore, scope: RateLimitScope, key: string, now: number) {
  const { state } = await store.read({ scope, key, now });
  return (state!.limits[0] as { tat: number }).tat - now;
}

/** The wait one unit of the first limit would get at `now` (what a relimit changes). */
async function waitFor(store: RateLimitStore, scope: RateLimitScope, key: string, now: number) {
  const costs = scope.limits.map((_, i) => (i === 0 ? 1 : 0));
  const result = await store.acquire({ scope, key, costs, now });
  return result.admitted ? 0 : result.retryAfterMs;
}

describe.each(clientKinds)('relimit through %s', (kind) => {
  let client: TestClient;
  beforeAll(async () => {
    client = await connectClient(kind, server.url);
  });
  afterAll(() => client?.close());

  // Long intervals: the test clock's keys expire in real time (PX), which a loaded machine must not reach.
  const before = [tokenBucket({ rate: 10, per: 100_000 }), slidingWindow({ limit: 20, window: 100_000 })];
  const after = [
    tokenBucket({ rate: 5, per: 100_000, capacity: 10 }),
    slidingWindow({ limit: 30, window: 100_000 }),
  ];

  it('converts every key of the scope as the memory store does, keys beyond one SCAN batch included', async () => {
    let now = T0;
    const prefix = `relimit${run++}`;
    const redis = new ArgumentClockStore({ client: client.scripts, prefix }, () => now);
    const memory = new MemoryRateLimitStore();
    const old = scopeOf(before);
    const keys = Array.from({ length: 1500 }, (_, i) => `k${i}`);
    for (const store of [redis, memory]) {
      for (const key of keys) await store.acquire({ scope: old, key, costs: [10, 10], now });
    }
    now += 10_000;
    const next = scopeOf(after, old.id);
    await Promise.all([redis.relimit({ scope: next, now }), memory.relimit({ scope: next, now })]);
    for (const key of keys) {
      // 9 units of backlog at 10 s each became 9 at 20 s.
      expect(await backlog(redis, next, key, now)).toBe(180_000);
    }
    expect(await backlog(memory, next, 'k1', now)).toBe(180_000);
    for (const key of [keys[0]!, keys[777]!, keys[1499]!]) {
      expect(await waitFor(redis, next, key, now)).toBe(await waitFor(memory, next, key, now));
    }
  });

  it('converts once when several processes change to the same numbers', async () => {
    const now = T0;
    const prefix = `relimit${run++}`;
    const old = scopeOf(before);
    // Two processes, each with a limiter that used the old numbers.
    const a = new ArgumentClockStore({ client: client.scripts, prefix }, () => now);
    const b = new ArgumentClockStore({ client: client.scripts, prefix }, () => now);
    const memory = new MemoryRateLimitStore();
    for (const store of [a, memory]) await store.acquire({ scope: old, key: 'k', costs: [10, 0], now });
    await b.read({ scope: old, key: 'k', now });
    const next = scopeOf(after, old.id);
    await a.relimit({ scope: next, now });
    await b.relimit({ scope: next, now: now + 1 });
    await memory.relimit({ scope: next, now });
    // 10 units at 10 s became 10 at 20 s, once (twice would be 400 s).
    expect(await backlog(b, next, 'k', now)).toBe(200_000);
    expect(await backlog(memory, next, 'k', now)).toBe(200_000);
    // The scope's record holds the new interval, for a day.
    const record = scopeKeys(prefix, old).limits;
    expect(await client.command(['GET', record])).toBe('20000 0');
    const ttl = Number(await client.command(['PTTL', record]));
    expect(ttl).toBeGreaterThan(RELIMIT_RECORD_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(RELIMIT_RECORD_MS);
  });

  it('gives each converted key the expiry of its new rest time', async () => {
    const now = T0;
    const prefix = `relimit${run++}`;
    const store = new ArgumentClockStore({ client: client.scripts, prefix }, () => now);
    const limits = [tokenBucket({ rate: 10, per: 1000 })];
    const old = scopeOf(limits);
    await store.acquire({ scope: old, key: 'k', costs: [10], now });
    // Ten units at 100 ms: at rest 1 s from now, expiring 1 s after that. At a tenth of the rate: 10 s, then 11 s.
    await store.relimit({ scope: scopeOf([tokenBucket({ rate: 1, per: 1000 })], old.id), now });
    const ttl = Number(await client.command(['PTTL', `${scopeKeys(prefix, old).state}k`]));
    expect(ttl).toBeGreaterThan(5_000);
    expect(ttl).toBeLessThanOrEqual(11_000);
  });

  it("touches only the scope's keys under its own prefix, glob characters and all", async () => {
    const now = T0;
    const tag = run++;
    const limits = [tokenBucket({ rate: 10, per: 100_000 })];
    const old = scopeOf(limits);
    const next = scopeOf([tokenBucket({ rate: 1, per: 100_000 })], old.id);
    const globbed = new ArgumentClockStore({ client: client.scripts, prefix: `g*${tag}[x]` }, () => now);
    const other = new ArgumentClockStore({ client: client.scripts, prefix: `gY${tag}x` }, () => now);
    for (const store of [globbed, other]) await store.acquire({ scope: old, key: 'k', costs: [10], now });
    await globbed.relimit({ scope: next, now });
    expect(await backlog(globbed, next, 'k', now)).toBe(1_000_000);
    // The other prefix's key (which `g*...` would match unescaped) kept its old backlog.
    expect(await backlog(other, old, 'k', now)).toBe(100_000);
  });

  it('converts nothing for a scope this process never used and Redis has no record of', async () => {
    const now = T0;
    const prefix = `relimit${run++}`;
    const old = scopeOf([tokenBucket({ rate: 10, per: 100_000 })]);
    const user = new ArgumentClockStore({ client: client.scripts, prefix }, () => now);
    await user.acquire({ scope: old, key: 'k', costs: [10], now });
    const stranger = new ArgumentClockStore({ client: client.scripts, prefix }, () => now);
    const next = scopeOf([tokenBucket({ rate: 1, per: 100_000 })], old.id);
    await stranger.relimit({ scope: next, now });
    // As the memory store, which holds no state of a scope it never saw: the backlog keeps its time to drain.
    expect(await backlog(user, next, 'k', now)).toBe(100_000);
  });

  it("setLimits on a limiter over redisRateLimitStore (the server's clock) converts the shared usage", async () => {
    const prefix = `relimit${run++}`;
    const store = redisRateLimitStore({ client: client.scripts, prefix });
    const converting: PromiseLike<void>[] = [];
    const watched: RateLimitStore = {
      acquire: (r) => store.acquire(r),
      adjust: (r) => store.adjust(r),
      pause: (r) => store.pause(r),
      read: (r) => store.read(r),
      relimit: (r) => {
        const done = store.relimit(r);
        converting.push(done);
        return done;
      },
    };
    const limiter = rateLimit({
      limits: tokenBucket({ rate: 10, per: 60_000 }),
      store: watched,
      mode: 'reject',
    });
    for (let i = 0; i < 10; i++) await limiter.execute(() => 'ok');
    limiter.setLimits(tokenBucket({ rate: 1, per: 60_000, capacity: 10 }));
    expect(converting).toHaveLength(1);
    await converting[0];
    const { state, now } = await store.read({ scope: limiter.scope, key: '', now: 0 });
    const backlog = (state!.limits[0] as { tat: number }).tat - now;
    // Ten units' backlog at 60 s each (less the time since), not at 6 s each.
    expect(backlog).toBeGreaterThan(500_000);
    expect(backlog).toBeLessThanOrEqual(600_000);
  });

  it('goes through the guard and through a lease, whose rest goes back first under the old numbers', async () => {
    const now = T0;
    const prefix = `relimit${run++}`;
    const redis = new ArgumentClockStore({ client: client.scripts, prefix }, () => now);
    const guarded = guardStore(redis);
    const leased = leaseStore(guarded, { size: 4, maxHoldMs: 60_000 });
    const old = scopeOf([tokenBucket({ rate: 10, per: 100_000 })]);
    // Two leases of 4 units taken (at 10 s each), 6 handed out, 2 held.
    for (let i = 0; i < 6; i++) {
      expect((await leased.acquire({ scope: old, key: 'k', costs: [1], now })).admitted).toBe(true);
    }
    const next = scopeOf([tokenBucket({ rate: 1, per: 100_000, capacity: 10 })], old.id);
    await leased.relimit({ scope: next, now });
    // The 2 held went back (60 s of backlog left), then the 6 became 600 s at the new rate.
    expect(await backlog(redis, next, 'k', now)).toBe(600_000);
    guarded.close();
  });
});
