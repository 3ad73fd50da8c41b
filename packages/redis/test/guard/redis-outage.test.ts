/**
 * A guarded Redis store against a real redis-server that goes away mid-run (stopped and started again on the same
 * port) and behind a loopback proxy that stalls and drops connections, with callers going through core's
 * rateLimit. No timing assertions: a bounded latency shows as calls that settle while Redis is still away.
 */
import {
  constant,
  isRateLimitedError,
  isTimeoutError,
  type RateLimitPolicy,
  rateLimit,
  tokenBucket,
} from '@bulwark/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type GuardedRateLimitStore,
  type GuardedStoreEvents,
  guardStore,
  isStoreUnavailableError,
  type RedisRateLimitStore,
  redisRateLimitStore,
  type StoreErrorMode,
} from '../../src/index.js';
import { clientKinds } from '../support/clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type StallProxy, startStallProxy } from '../support/stall-proxy.js';
import { connectForOutage, type OutageClient, type QueueSetting } from './outage-clients.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server.start(); // a test that failed midway may have left it stopped
});

let run = 0;

/** The next event of the guard, as a promise. */
function next<K extends keyof GuardedStoreEvents>(
  store: GuardedRateLimitStore,
  event: K,
): Promise<GuardedStoreEvents[K][0]> {
  return new Promise((resolve) => store.events.once(event, resolve as never));
}

/** One outcome of a caller, and whether the guard was serving from its fallback when it settled. */
interface Outcome {
  readonly ok: boolean;
  readonly error?: unknown;
  readonly storeDown: boolean;
}

/** Callers running through the limiter in a loop until stopped: the traffic of a service while Redis fails. */
function traffic(policy: RateLimitPolicy, store: GuardedRateLimitStore, callers: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  let waiting: { count: number; resolve: () => void } | undefined;
  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    if (waiting !== undefined && outcomes.length >= waiting.count) waiting.resolve();
  };
  const loop = async () => {
    while (running) {
      await policy
        .execute(() => 'ran')
        .then(
          () => record({ ok: true, storeDown: !store.available }),
          (error: unknown) => record({ ok: false, error, storeDown: !store.available }),
        );
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  const loops = Array.from({ length: callers }, loop);
  return {
    outcomes,
    /** Resolves once `more` further calls have settled. */
    settled(more: number): Promise<void> {
      const count = outcomes.length + more;
      return new Promise<void>((resolve) => {
        waiting = { count, resolve };
      });
    },
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe.each(clientKinds)('a guarded Redis store through %s', (kind) => {
  async function setup(options: {
    url?: string;
    setting?: QueueSetting;
    mode?: StoreErrorMode;
    rate?: number;
  }) {
    const client: OutageClient = await connectForOutage(
      kind,
      options.url ?? server.url,
      options.setting ?? 'fail-fast',
    );
    cleanups.push(() => client.close());
    const prefix = `outage-${kind}-${run++}`;
    const redis: RedisRateLimitStore = redisRateLimitStore({ client: client.scripts, prefix });
    const store = guardStore(redis, {
      name: 'redis',
      onStoreError: options.mode ?? 'local',
      probeBackoff: constant(50),
    });
    cleanups.push(() => store.close());
    const limits = tokenBucket({ rate: options.rate ?? 200, per: 1000 });
    const policy = rateLimit({ limits, mode: 'reject', store });
    // What Redis holds for the limiter's key, read without the guard (undefined: nothing, e.g. after a restart).
    const shared = async () => {
      const direct = await connectForOutage(kind, server.url, 'fail-fast');
      try {
        const reading = await redisRateLimitStore({ client: direct.scripts, prefix }).read({
          scope: policy.scope,
          key: '',
          now: Date.now(),
        });
        const tat = (reading.state?.limits[0] as { tat: number } | undefined)?.tat ?? Number.NaN;
        return tat > reading.now ? tat - reading.now : 0;
      } finally {
        direct.close();
      }
    };
    return { store, policy, shared };
  }

  it('keeps callers going on local limits while redis-server is stopped, and goes back to Redis once it is up', async () => {
    const { store, policy, shared } = await setup({ rate: 200 });
    const events: string[] = [];
    store.on('unavailable', () => events.push('unavailable'));
    store.on('recovered', () => events.push('recovered'));
    const load = traffic(policy, store, 4);
    await load.settled(40);
    expect(await shared()).toBeGreaterThan(0); // the usage is in Redis

    const unavailable = next(store, 'unavailable');
    await server.stop();
    const outage = await unavailable;
    expect(outage).toMatchObject({ store: 'redis', mode: 'local' });
    await load.settled(40);
    expect(store.available).toBe(false); // all 40 settled while Redis was away

    const recovered = next(store, 'recovered');
    await server.start();
    expect((await recovered).probes).toBeGreaterThan(0);
    await load.settled(40);
    await load.stop();

    expect(events).toEqual(['unavailable', 'recovered']);
    // Nobody failed for the store: admitted, or refused by a limit (Redis's or, while it was away, the local one).
    for (const outcome of load.outcomes) {
      if (!outcome.ok) expect(isRateLimitedError(outcome.error)).toBe(true);
    }
    expect(load.outcomes.some((o) => o.ok && o.storeDown)).toBe(true);
    // The server restarted empty; the calls since the recovery are counted there again.
    expect(await shared()).toBeGreaterThan(0);
  });

  it("'refuse': callers get StoreUnavailableError while redis-server is stopped, nobody hangs", async () => {
    const { store, policy } = await setup({ mode: 'refuse' });
    expect(await policy.execute(() => 'up')).toBe('up');
    const unavailable = next(store, 'unavailable');
    await server.stop();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => policy.execute(() => 'down')));
    await unavailable;
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(isStoreUnavailableError((outcome as PromiseRejectedResult).reason)).toBe(true);
    }
    const recovered = next(store, 'recovered');
    await server.start();
    await recovered;
    expect(await policy.execute(() => 'up again')).toBe('up again');
  });

  it('with the client queueing commands while disconnected (its default), a call still costs at most callTimeoutMs', async () => {
    const { store, policy } = await setup({ setting: 'offline-queue' });
    expect(await policy.execute(() => 'up')).toBe('up');
    const unavailable = next(store, 'unavailable');
    await server.stop();
    // The client holds the script calls until it reconnects; the guard gives each its timeout, then the fallback.
    const results = await Promise.all(Array.from({ length: 5 }, () => policy.execute(() => 'served')));
    expect(results).toEqual(Array(5).fill('served'));
    expect(isTimeoutError((await unavailable).error)).toBe(true);
    expect(store.available).toBe(false); // settled while Redis was still away
    const recovered = next(store, 'recovered');
    await server.start();
    await recovered;
  });

  it('with fail-fast settings, a call the guard gave up on never reaches Redis after it restarts', async () => {
    const { store, policy, shared } = await setup({ rate: 1 });
    const unavailable = next(store, 'unavailable');
    await server.stop();
    await policy.execute(() => 'served locally');
    await unavailable;
    const recovered = next(store, 'recovered');
    await server.start();
    await recovered;
    // Nothing was queued for later: Redis holds no usage for the key.
    expect(await shared()).toBe(0);
  });

  describe('behind a proxy', () => {
    let proxy: StallProxy;
    beforeAll(async () => {
      proxy = await startStallProxy(server);
    });
    afterAll(() => proxy?.close());
    afterEach(() => {
      proxy.refuse(false);
      proxy.resume();
    });

    it('a stalled Redis costs each call its timeout, the fallback serves, and traffic returns after the stall', async () => {
      const { store, policy, shared } = await setup({ url: proxy.url });
      expect(await policy.execute(() => 'through the proxy')).toBe('through the proxy');
      const unavailable = next(store, 'unavailable');
      proxy.stall();
      const results = await Promise.all(Array.from({ length: 10 }, () => policy.execute(() => 'served')));
      expect(results).toEqual(Array(10).fill('served'));
      // Settled while every byte to and from Redis was still held.
      expect(proxy.stalled).toBe(true);
      expect(proxy.heldBytes).toBeGreaterThan(0);
      const outage = await unavailable;
      expect(isTimeoutError(outage.error)).toBe(true);
      expect(store.available).toBe(false);

      const recovered = next(store, 'recovered');
      proxy.resume(); // the late answers arrive and are ignored; a probe gets through
      await recovered;
      const before = await shared();
      await Promise.all(Array.from({ length: 20 }, () => policy.execute(() => 'shared again')));
      expect(await shared()).toBeGreaterThan(before);
    });

    it('dropped connections: calls settle while the client reconnects, and the store comes back', async () => {
      const { store, policy } = await setup({ url: proxy.url });
      const events: string[] = [];
      store.on('unavailable', () => events.push('unavailable'));
      store.on('recovered', () => events.push('recovered'));
      const load = traffic(policy, store, 4);
      await load.settled(20);
      for (let i = 0; i < 3; i++) {
        // Dropped, and refused until the outage shows: calls made while the client has no connection fail fast.
        const unavailable = next(store, 'unavailable');
        proxy.refuse(true);
        proxy.drop();
        await unavailable;
        await load.settled(20);
        const recovered = next(store, 'recovered');
        proxy.refuse(false);
        await recovered;
        await load.settled(20);
      }
      await load.stop();
      proxy.refuse(false);
      for (const outcome of load.outcomes) {
        if (!outcome.ok) expect(isRateLimitedError(outcome.error)).toBe(true);
      }
      // The calls sent while the client was offline failed fast: an outage, each reported once, each ended.
      expect(events.length).toBe(6);
      expect(events.length % 2).toBe(0);
      for (const [i, name] of events.entries()) expect(name).toBe(i % 2 === 0 ? 'unavailable' : 'recovered');
      expect(store.available).toBe(true);
    });
  });
});
