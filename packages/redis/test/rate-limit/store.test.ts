import {
  isInvalidOptionError,
  isRateLimitedError,
  type RateLimit,
  rateLimit,
  slidingWindow,
  tokenBucket,
} from '@bulwark/core';
import type { RateLimitScope } from '@bulwark/core/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isStoreReplyError,
  type RedisScriptClient,
  RedisRateLimitStore,
  redisRateLimitStore,
} from '../../src/index.js';
import { scopeHash } from '../../src/rate-limit/keys.js';
import { ArgumentClockStore } from '../../src/rate-limit/test-clock.js';
import { clientKinds, connectClient, type TestClient } from '../support/clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { SettlingClock } from '../support/settling-clock.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

let run = 0;
const fresh = () => `store${run++}`;
const scopeOf = (limits: RateLimit[]): RateLimitScope => ({ id: JSON.stringify(limits), limits });

/** A client that records the keys of every call (to check Cluster slots). */
function recording(inner: RedisScriptClient, calls: string[][]): RedisScriptClient {
  return {
    evalSha: (sha, keys, args) => {
      calls.push([...keys]);
      return inner.evalSha(sha, keys, args);
    },
    eval: (source, keys, args) => inner.eval(source, keys, args),
  };
}

/** Redis Cluster's key slot: CRC16 (XMODEM) of the hash tag (or the whole key) mod 16384. */
function keySlot(key: string): number {
  const open = key.indexOf('{');
  let part = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) part = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of new TextEncoder().encode(part)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe.each(clientKinds)('RedisRateLimitStore through %s', (kind) => {
  let client: TestClient;
  beforeAll(async () => {
    client = await connectClient(kind, server.url);
  });
  afterAll(() => client?.close());

  const serverMs = async () => {
    const [s, us] = (await client.command(['TIME'])) as string[];
    return Number(s) * 1000 + Number(us) / 1000;
  };

  it('decides at the server time, whatever the caller says, and reports it', async () => {
    const store = redisRateLimitStore({ client: client.scripts, prefix: fresh() });
    const scope = scopeOf([tokenBucket({ rate: 1, per: 60_000, capacity: 2 })]);
    const before = await serverMs();
    const marks: number[] = [];
    const first = await store.acquire({ scope, key: 'k', costs: [1], now: 0, marks });
    const second = await store.acquire({ scope, key: 'k', costs: [1], now: -5e12 });
    const third = await store.acquire({ scope, key: 'k', costs: [1], now: 9e15 });
    const after = await serverMs();
    expect(first).toMatchObject({ admitted: true });
    expect(first.at).toBeGreaterThanOrEqual(before);
    expect(first.at).toBeLessThanOrEqual(after);
    expect(marks).toHaveLength(1);
    expect(second.admitted).toBe(true);
    // Two taken from a bucket of two refilled once a minute: the third waits about a minute, by the server's clock.
    expect(third).toMatchObject({ admitted: false, limit: 0 });
    expect(third.admitted === false && third.retryAfterMs).toBeGreaterThan(59_000);
    expect(third.admitted === false && third.retryAfterMs).toBeLessThanOrEqual(60_000);
    const reading = await store.read({ scope, key: 'k', now: 0 });
    expect(reading.now).toBeGreaterThanOrEqual(third.at!);
    expect(reading.state?.limits[0]).toMatchObject({ refunded: 0 });
  });

  it('gives every key a TTL to its rest time plus a margin, and lets an idle key expire', async () => {
    const prefix = fresh();
    const store = redisRateLimitStore({ client: client.scripts, prefix });
    const scope = scopeOf([
      tokenBucket({ rate: 10, capacity: 5 }),
      slidingWindow({ limit: 100, window: 30_000, segments: 3 }),
    ]);
    await store.acquire({ scope, key: 'busy', costs: [5, 1], now: 0 });
    const stateKey = `${prefix}:rl:{${scopeHash(scope.id)}}:k:busy`;
    const ttl = Number(await client.command(['PTTL', stateKey]));
    // The window's use ends 30 s after it: kept until then plus the 1 s margin, not longer.
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(31_000);
    // A pause keeps its key alive until it ends.
    await store.pause({ scope, key: 'busy', forMs: 120_000, now: 0 });
    expect(Number(await client.command(['PTTL', stateKey]))).toBeGreaterThan(119_000);
    await store.pause({ scope, forMs: 45_000, now: 0 });
    const pauseKey = `${prefix}:rl:{${scopeHash(scope.id)}}:pause`;
    const pauseTtl = Number(await client.command(['PTTL', pauseKey]));
    expect(pauseTtl).toBeGreaterThan(44_000);
    expect(pauseTtl).toBeLessThanOrEqual(46_000);
    // A shorter pause does not cut the longer one.
    await store.pause({ scope, forMs: 10, now: 0 });
    expect(Number(await client.command(['PTTL', pauseKey]))).toBeGreaterThan(40_000);

    // A short limit's key rests within milliseconds and is gone a margin later.
    const quick = scopeOf([tokenBucket({ rate: 1000, capacity: 1 })]);
    await store.acquire({ scope: quick, key: 'idle', costs: [1], now: 0 });
    const idleKey = `${prefix}:rl:{${scopeHash(quick.id)}}:k:idle`;
    expect(Number(await client.command(['PTTL', idleKey]))).toBeLessThanOrEqual(1002);
    for (let i = 0; i < 100 && Number(await client.command(['EXISTS', idleKey])) === 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(Number(await client.command(['EXISTS', idleKey]))).toBe(0);
  });

  it("keeps a key's expiry when its rest comes no later (a refund keeps the longer TTL), and moves it when later", async () => {
    const prefix = fresh();
    const store = redisRateLimitStore({ client: client.scripts, prefix });
    const scope = scopeOf([tokenBucket({ rate: 1, capacity: 50 })]);
    const stateKey = `${prefix}:rl:{${scopeHash(scope.id)}}:k:k`;
    const marks: number[] = [];
    const taken = await store.acquire({ scope, key: 'k', costs: [50], now: 0, marks });
    // The bucket is full again 50 s later: the key expires 0.5 to 1 s after that.
    const ttl = Number(await client.command(['PTTL', stateKey]));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(51_000);
    // All of it refunded: at rest now, but the key keeps the expiry it has (a charge may still come).
    await store.adjust({
      scope,
      key: 'k',
      deltas: [-50],
      admission: { at: taken.at!, costs: [50], marks },
      now: 0,
    });
    // (What was still outstanding of it: 50 s less the time since.)
    const reading = await store.read({ scope, key: 'k', now: 0 });
    expect((reading.state!.limits[0] as { refunded: number }).refunded).toBeGreaterThan(49_000);
    expect(Number(await client.command(['PTTL', stateKey]))).toBeGreaterThan(49_000);
    // A later rest moves the expiry.
    await store.pause({ scope, key: 'k', forMs: 120_000, now: 0 });
    expect(Number(await client.command(['PTTL', stateKey]))).toBeGreaterThan(119_000);
  });

  it('keeps every key of a call, and every key of a scope, in one Cluster slot', async () => {
    const calls: string[][] = [];
    const store = redisRateLimitStore({ client: recording(client.scripts, calls), prefix: fresh() });
    const scope = scopeOf([tokenBucket({ rate: 5 }), slidingWindow({ limit: 10, window: 1000 })]);
    const keys = ['', 'tenant-1', '{odd}key', 'ключ', 'x}{y'];
    for (const key of keys) {
      const marks: number[] = [];
      const r = await store.acquire({ scope, key, costs: [1, 1], now: 0, marks });
      await store.adjust({
        scope,
        key,
        deltas: [-1, -1],
        admission: { at: r.at!, costs: [1, 1], marks },
        now: 0,
      });
      await store.pause({ scope, key, forMs: 1, now: 0 });
      await store.read({ scope, key, now: 0 });
    }
    await store.pause({ scope, forMs: 1, now: 0 });
    expect(keySlot('123456789')).toBe(0x31c3 % 16384); // the CRC16 check value
    const slots = new Set(calls.flat().map(keySlot));
    expect(calls.length).toBe(keys.length * 4 + 1);
    expect(slots.size).toBe(1);
    // Another scope lands (very likely) elsewhere: scopes spread over the cluster.
    expect(scopeHash(scope.id)).toMatch(/^[0-9a-f]{16}$/);
    expect(scopeHash(scope.id)).toBe(scopeHash(JSON.stringify(scope.limits)));
  });

  it('falls back to the source after SCRIPT FLUSH (a restart, a new node)', async () => {
    const store = redisRateLimitStore({ client: client.scripts, prefix: fresh() });
    const scope = scopeOf([tokenBucket({ rate: 1, per: 60_000 })]);
    expect((await store.acquire({ scope, key: 'k', costs: [1], now: 0 })).admitted).toBe(true);
    await client.command(['SCRIPT', 'FLUSH']);
    expect((await store.acquire({ scope, key: 'k', costs: [1], now: 0 })).admitted).toBe(false);
  });

  it('refuses a stored state that does not fit the limits, and a reply of the wrong shape, with typed errors', async () => {
    const prefix = fresh();
    const store = redisRateLimitStore({ client: client.scripts, prefix });
    const scope = scopeOf([tokenBucket({ rate: 1 })]);
    await client.command(['SET', `${prefix}:rl:{${scopeHash(scope.id)}}:k:k`, 'not msgpack at all']);
    const error = await store.acquire({ scope, key: 'k', costs: [1], now: 0 }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain('BULWARK_STATE');

    const liar = (reply: unknown): RedisScriptClient => ({
      evalSha: async () => reply,
      eval: async () => reply,
    });
    for (const reply of [
      null,
      'OK',
      [1],
      [2, '5'],
      [1, 'soon'],
      [0, '1', '2'],
      [0, '1', '2', 7],
      [1, '1', '2', '3'],
    ]) {
      const bad = redisRateLimitStore({ client: liar(reply) });
      const e = await bad.acquire({ scope, key: 'k', costs: [1], now: 0 }).catch((x: unknown) => x);
      expect(isStoreReplyError(e), JSON.stringify(reply)).toBe(true);
    }
    const reading = await redisRateLimitStore({ client: liar(['1', '2', '3']) })
      .read({ scope, key: 'k', now: 0 })
      .catch((x: unknown) => x);
    expect(isStoreReplyError(reading)).toBe(true);
  });
});

describe('RedisRateLimitStore options', () => {
  it('names the bad option', () => {
    const scripts: RedisScriptClient = { evalSha: async () => null, eval: async () => null };
    const bad: Array<[unknown, string]> = [
      [undefined, 'options'],
      [{}, 'client'],
      [{ client: { get: () => 1 } }, 'client'],
      [{ client: scripts, prefix: '' }, 'prefix'],
      [{ client: scripts, prefix: 'a{b}' }, 'prefix'],
      [{ client: scripts, prefix: 7 }, 'prefix'],
    ];
    for (const [options, option] of bad) {
      let error: unknown;
      try {
        new RedisRateLimitStore(options as never);
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionError(error), JSON.stringify(options)).toBe(true);
      expect((error as { option: string }).option).toBe(option);
    }
    expect(redisRateLimitStore({ client: scripts }).prefix).toBe('bulwark');
  });

  it('refuses a pause that is not a finite number of ms', async () => {
    const store = redisRateLimitStore({ client: { evalSha: async () => '1', eval: async () => '1' } });
    const scope = scopeOf([tokenBucket({ rate: 1 })]);
    for (const forMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await store.pause({ scope, forMs, now: 0 }).catch((e: unknown) => e);
      expect(isInvalidOptionError(error)).toBe(true);
    }
  });
});

describe.each(clientKinds)('a limiter on the Redis store through %s', (kind) => {
  let client: TestClient;
  beforeAll(async () => {
    client = await connectClient(kind, server.url);
  });
  afterAll(() => client?.close());

  it('makes callers wait their turn, lets one leave while waiting, and honours a pause (virtual time)', async () => {
    const clock = new SettlingClock();
    const skew = 1_796_000_000_000;
    const store = clock.track(
      new ArgumentClockStore({ client: client.scripts, prefix: fresh() }, () => clock.now() + skew),
    );
    const policy = rateLimit({ limits: tokenBucket({ rate: 10, capacity: 2 }), maxWait: 1000, clock, store });
    const queued: number[] = [];
    policy.on('queued', (e) => queued.push(e.delay ?? -1));
    const log: string[] = [];
    const controller = new AbortController();
    const calls = [0, 1, 2, 3, 4].map((i) =>
      policy
        .execute(() => clock.now(), { signal: i === 3 ? controller.signal : undefined })
        .then(
          (at) => log.push(`${i} ran at ${at}`),
          (error: unknown) => log.push(`${i} ${isRateLimitedError(error) ? 'refused' : String(error)}`),
        ),
    );
    await clock.settle();
    // Two at once, then one per 100 ms: the waiters were told their waits at once.
    expect(queued).toEqual([100, 200, 300]);
    await clock.advance(150);
    controller.abort('gone');
    await clock.settle();
    await policy.pause(2000);
    // Still waiting: 4 (behind the pause, past its maxWait, so refused now).
    await clock.runAll();
    await Promise.all(calls);
    expect(log.sort()).toEqual(['0 ran at 0', '1 ran at 0', '2 ran at 100', '3 gone', '4 refused']);
    // After the pause, admitted again.
    await clock.advance(2000);
    const late = policy.execute(() => clock.now());
    await clock.runAll();
    expect(await late).toBe(2150);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs on the production store (server time) too', async () => {
    const store = redisRateLimitStore({ client: client.scripts, prefix: fresh() });
    const policy = rateLimit({
      limits: tokenBucket({ rate: 1, per: 60_000, capacity: 3 }),
      mode: 'reject',
      store,
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => policy.execute(() => i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const refusal = (results[3] as PromiseRejectedResult).reason;
    expect(isRateLimitedError(refusal)).toBe(true);
    expect(refusal.retryAfterMs).toBeGreaterThan(59_000);
  });
});
