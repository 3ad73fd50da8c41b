/**
 * redisCircuitSync against a real redis-server: breakers with their own client connections act as the processes
 * of a fleet. Times here are real (the break is timed by Redis's TIME), so the tests wait for states with generous
 * bounds and drive the reads explicitly (`refresh()`) where they can; nothing asserts how long anything took.
 */
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  circuitBreaker,
  consecutive,
  exponential,
  InvalidOptionError,
  TimeoutError,
} from '@bulwark/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCircuitSync, type RedisCircuitSyncOptions, redisCircuitSync } from '../../src/index.js';
import { clientKinds, connectClient, type TestClient } from '../support/clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { deferred } from '../../../core/test/support/helpers.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

/**
 * Starts `fn` as a half-open probe on `breaker` and resolves once it runs (its outcome in `result`). A process turns
 * half-open by its own clock, and the fleet's record ends the break by Redis's clock, later by the publication's
 * latency: until then the fleet refuses the probe and the process reopens for the rest, so this tries again.
 */
async function probeWith<T>(
  breaker: { readonly state: string; execute(fn: () => Promise<T>): Promise<T> },
  fn: () => Promise<T>,
): Promise<{ result: Promise<T> }> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if (breaker.state === 'halfOpen') {
      let ran!: () => void;
      const running = new Promise<'ran'>((resolve) => (ran = () => resolve('ran')));
      const result = breaker.execute(() => {
        ran();
        return fn();
      });
      const first = await Promise.race([
        running,
        result.then(
          () => 'ran' as const,
          () => 'refused' as const,
        ),
      ]);
      if (first === 'ran') return { result };
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('no probe ran within 10 s');
}

/** Polls `check` until it holds; fails after `limitMs` (a bound against hangs, not a timing assertion). */
async function eventually(check: () => boolean | Promise<boolean>, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let names = 0;

describe.each(clientKinds)('redisCircuitSync through %s', (kind) => {
  const open: { client: TestClient; sync: RedisCircuitSync }[] = [];
  afterEach(async () => {
    for (const { client, sync } of open.splice(0)) {
      sync.close();
      await client.close();
    }
  });

  interface Member {
    readonly breaker: CircuitBreakerPolicy;
    readonly sync: RedisCircuitSync;
    readonly client: TestClient;
  }

  /** `count` "processes": each its own connection, sync and breaker, on one shared circuit name. */
  async function fleet(
    count: number,
    breakerOptions: Parameters<typeof circuitBreaker>[0] = {},
    syncOptions: Partial<RedisCircuitSyncOptions> = {},
  ): Promise<Member[]> {
    const name = `dep-${kind}-${++names}`;
    const members: Member[] = [];
    for (let i = 0; i < count; i++) {
      const client = await connectClient(kind, server.url);
      // Reads driven by the tests (refresh) unless a test asks for a short staleness.
      const sync = redisCircuitSync({ client: client.scripts, name, stalenessMs: 60_000, ...syncOptions });
      open.push({ client, sync });
      const breaker = circuitBreaker({
        strategy: consecutive(1),
        halfOpenAfter: 200,
        sync,
        ...breakerOptions,
      });
      members.push({ breaker, sync, client });
    }
    // Each sync's first read (at attach) is done before the test begins.
    await Promise.all(members.map((m) => m.sync.refresh()));
    return members;
  }

  it('an open circuit in one process opens the others at their next read', async () => {
    const [a, b, c] = await fleet(3, { halfOpenAfter: 30_000 });
    await a!.breaker.execute(boom).catch(() => {});
    expect(a!.breaker.state).toBe('open');
    await eventually(async () => {
      await b!.sync.refresh();
      return b!.breaker.state === 'open';
    });
    const refused = await b!.breaker.execute(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    const retryAfter = (refused as BrokenCircuitError).retryAfterMs!;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30_000);
    // Without any explicit read, the background poll brings it within its staleness.
    expect(c!.breaker.state).toBe('closed');
  });

  it('the background read brings the fleet state within stalenessMs (eventually)', async () => {
    const [a, b] = await fleet(2, { halfOpenAfter: 30_000 }, { stalenessMs: 50 });
    await a!.breaker.execute(boom).catch(() => {});
    await eventually(() => b!.breaker.state === 'open');
  });

  it('half-open: exactly one probe runs fleet-wide, and its success closes every process', async () => {
    const members = await fleet(4);
    await members[0]!.breaker.execute(boom).catch(() => {});
    await members[0]!.sync.refresh(); // its open has reached Redis before the others read
    await Promise.all(members.map((m) => m.sync.refresh()));
    await eventually(() => members.every((m) => m.breaker.state === 'halfOpen'));
    const probe = deferred<string>();
    let ran = 0;
    const probing = () => {
      ran++;
      return probe.promise;
    };
    const first = await probeWith(members[0]!.breaker, probing);
    // The permit is taken: every other process's probe is refused, whatever its own clock says.
    const others = await Promise.allSettled(members.slice(1).map((m) => m.breaker.execute(probing)));
    expect(ran).toBe(1);
    for (const o of others) {
      expect(o.status).toBe('rejected');
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(BrokenCircuitError);
    }
    probe.resolve('up');
    expect(await first.result).toBe('up');
    await eventually(async () => {
      await Promise.all(members.map((m) => m.sync.refresh()));
      return members.every((m) => m.breaker.state === 'closed');
    });
    expect(await members[3]!.breaker.execute(ok)).toBe('ok');
  });

  it('a failed probe reopens every process, continuing the break series', async () => {
    const [a, b] = await fleet(2, {
      halfOpenAfter: exponential({ initialDelay: 200, maxDelay: 60_000, jitter: 'none' }),
    });
    await a!.breaker.execute(boom).catch(() => {});
    await a!.sync.refresh(); // its open has reached Redis before b reads
    await b!.sync.refresh();
    await eventually(() => b!.breaker.state === 'halfOpen');
    await (await probeWith(b!.breaker, boom)).result.catch(() => {}); // b's probe fails: the second break, 400 ms
    await a!.sync.refresh();
    expect(a!.breaker.snapshot()).toMatchObject({ state: 'open', breaks: 2 });
  });

  it('a probe that succeeded cannot close a circuit reopened elsewhere meanwhile (fenced close)', async () => {
    const [a, b, c] = await fleet(3);
    await a!.breaker.execute(boom).catch(() => {});
    await a!.sync.refresh(); // its open has reached Redis before b reads
    await b!.sync.refresh(); // c does not read: it still believes the circuit closed
    const slow = deferred<string>();
    const aProbe = (await probeWith(a!.breaker, () => slow.promise)).result;
    await eventually(async () => (await redisKeys(a!.client, `*{${a!.sync.name}}:probes`)).length === 1);
    await c!.breaker.execute(boom).catch(() => {}); // c's closed-state failure reopens the fleet
    await c!.sync.refresh();
    slow.resolve('up');
    expect(await aProbe).toBe('up');
    await a!.sync.refresh(); // a's close went to Redis first (fenced, refused), then a read
    const [record] = await redisKeys(a!.client, `*{${a!.sync.name}}:circuit`);
    expect(await a!.client.command(['HGET', record!, 'st'])).toBe('open');
    expect(a!.breaker.state).toBe('open');
    await b!.sync.refresh();
    expect(b!.breaker.state).toBe('open');
  });

  it('halfOpenProbes > 1: successes are counted fleet-wide, and the fleet closes at the Nth', async () => {
    const [a, b, c] = await fleet(3, { halfOpenProbes: 3 });
    await a!.breaker.execute(boom).catch(() => {});
    await a!.sync.refresh(); // its open has reached Redis before the others read
    await Promise.all([b, c].map((m) => m!.sync.refresh()));
    const [record] = await redisKeys(a!.client, `*{${a!.sync.name}}:circuit`);
    expect(await (await probeWith(a!.breaker, ok)).result).toBe('ok');
    await eventually(async () => (await a!.client.command(['HGET', record!, 'ps'])) === '1');
    expect(a!.breaker.state).toBe('halfOpen'); // one success of three, fleet-wide
    const slowB = deferred<string>();
    const slowC = deferred<string>();
    const bProbe = (await probeWith(b!.breaker, () => slowB.promise)).result;
    const cProbe = (await probeWith(c!.breaker, () => slowC.promise)).result;
    // One success and two probes running fill the fleet's three probes: a's free local slot is refused.
    await expect(a!.breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    slowB.resolve('up');
    expect(await bProbe).toBe('up');
    await eventually(async () => (await a!.client.command(['HGET', record!, 'ps'])) === '2');
    expect(b!.breaker.state).toBe('halfOpen');
    slowC.resolve('up');
    expect(await cProbe).toBe('up');
    // The third success closes the fleet's record, and the closing process at once.
    await eventually(async () => (await a!.client.command(['HGET', record!, 'st'])) === 'closed');
    await eventually(() => c!.breaker.state === 'closed');
    expect(await a!.client.command(['HGET', record!, 'ps'])).toBeNull();
    await Promise.all([a, b].map((m) => m!.sync.refresh()));
    expect(a!.breaker.state).toBe('closed');
    expect(b!.breaker.state).toBe('closed');
  });

  it('halfOpenProbes > 1: a failed probe anywhere reopens the fleet and forgets its successes', async () => {
    const [a, b] = await fleet(2, { halfOpenProbes: 2 });
    await a!.breaker.execute(boom).catch(() => {});
    await a!.sync.refresh();
    await b!.sync.refresh();
    const [record] = await redisKeys(a!.client, `*{${a!.sync.name}}:circuit`);
    expect(await (await probeWith(a!.breaker, ok)).result).toBe('ok');
    await eventually(async () => (await a!.client.command(['HGET', record!, 'ps'])) === '1');
    await (await probeWith(b!.breaker, boom)).result.catch(() => {});
    expect(b!.breaker.state).toBe('open');
    await eventually(async () => (await a!.client.command(['HGET', record!, 'ps'])) === null);
    expect(await a!.client.command(['HGET', record!, 'st'])).toBe('open');
    await a!.sync.refresh();
    expect(a!.breaker.snapshot()).toMatchObject({ state: 'open', breaks: 2 });
  });

  it('a prober that dies frees its permit when its lease runs out', async () => {
    const [a, b] = await fleet(2, {}, { probeLeaseMs: 300 });
    await a!.breaker.execute(boom).catch(() => {});
    await a!.sync.refresh(); // its open has reached Redis before b reads
    await b!.sync.refresh();
    await eventually(() => a!.breaker.state === 'halfOpen' && b!.breaker.state === 'halfOpen');
    (await probeWith(a!.breaker, () => new Promise<never>(() => {}))).result.catch(() => {}); // a "dies"
    await eventually(async () => (await redisKeys(a!.client, `*{${a!.sync.name}}:probes`)).length === 1);
    a!.sync.close();
    const refused = await b!.breaker.execute(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    await eventually(async () => (await b!.breaker.execute(ok).catch(() => 'refused')) === 'ok');
    expect(b!.breaker.state).toBe('closed');
  });

  it('keys carry the prefix and a hash tag, and expire', async () => {
    const [a] = await fleet(
      1,
      { halfOpenAfter: 1_000 },
      { prefix: 'test:', keepMs: 5_000, stalenessMs: 1_000 },
    );
    await a!.breaker.execute(boom).catch(() => {});
    await a!.sync.refresh();
    const [key] = await redisKeys(a!.client, 'test:*');
    expect(key).toMatch(/^test:\{dep-.+\}:circuit$/);
    const ttl = Number(await a!.client.command(['PTTL', key!]));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(6_000);
  });

  it('while Redis is down each process keeps its own breaker; the missed transition is published on recovery', async () => {
    const [a, b] = await fleet(2, { halfOpenAfter: 30_000 }, { timeoutMs: 300 });
    const events: string[] = [];
    a!.sync.on('syncError', ({ operation }) => events.push(`error ${operation}`));
    a!.sync.on('syncRecovered', () => events.push('recovered'));
    await server.stop();
    try {
      await a!.breaker.execute(boom).catch(() => {});
      expect(a!.breaker.state).toBe('open'); // local protection, Redis or not
      await expect(a!.breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
      await eventually(() => events.length > 0);
      expect(events[0]).toBe('error open');
      expect(b!.breaker.state).toBe('closed');
    } finally {
      await server.start();
    }
    await eventually(async () => {
      await a!.sync.refresh().catch(() => {});
      return a!.sync.healthy;
    });
    expect(events).toEqual(['error open', 'recovered']);
    await eventually(async () => {
      await b!.sync.refresh().catch(() => {});
      return b!.breaker.state === 'open';
    });
  });

  it('a hung Redis delays a probe by at most timeoutMs, then the probe runs on the local slot', async () => {
    const [a] = await fleet(1, { halfOpenAfter: 0 }, { timeoutMs: 200 });
    await a!.breaker.execute(boom).catch(() => {});
    await a!.sync.refresh();
    // Redis holds every script that may write (all of ours) for 3 s.
    await a!.client.command(['CLIENT', 'PAUSE', '3000', 'WRITE']);
    try {
      expect(await a!.breaker.execute(ok)).toBe('ok');
      expect(a!.breaker.state).toBe('closed');
      expect(a!.sync.healthy).toBe(false);
    } finally {
      await a!.client.command(['CLIENT', 'UNPAUSE']);
    }
  });

  it('a permit granted after its wait timed out is given back at once', async () => {
    const [a] = await fleet(1, { halfOpenAfter: 0 }, { timeoutMs: 200 });
    await a!.breaker.execute(boom).catch(() => {});
    await a!.sync.refresh();
    const probes = `${(await redisKeys(a!.client, `*{${a!.sync.name}}:circuit`))[0]!.slice(0, -'circuit'.length)}probes`;
    await a!.client.command(['CLIENT', 'PAUSE', '1000', 'WRITE']);
    const unpause = () => a!.client.command(['CLIENT', 'UNPAUSE']);
    try {
      // Asked directly: nothing runs a probe, so only the late grant can put a permit in the set.
      await expect(a!.sync.acquireProbe()).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      await unpause();
    }
    // Redis runs the held grant once it resumes. Reads on the sync's own connection come after it; the release its
    // late answer sends goes out a few microtasks after that answer, so a few reads later it has run too.
    for (let i = 0; i < 5; i++) await a!.sync.refresh();
    expect(await a!.client.command(['ZCARD', probes])).toBe(0);
    const [record] = await redisKeys(a!.client, `*{${a!.sync.name}}:circuit`);
    expect(await a!.client.command(['HGET', record!, 'st'])).toBe('open');
  });
});

describe('redisCircuitSync options', () => {
  const client = { evalSha: async () => null, eval: async () => null };
  it.each([
    ['client', { client: {}, name: 'x' }],
    ['name', { client, name: '' }],
    ['prefix', { client, name: 'x', prefix: 3 }],
    ['stalenessMs', { client, name: 'x', stalenessMs: 5 }],
    ['timeoutMs', { client, name: 'x', timeoutMs: 0 }],
    ['probeLeaseMs', { client, name: 'x', probeLeaseMs: Number.NaN }],
    ['keepMs', { client, name: 'x', stalenessMs: 1_000, keepMs: 1_000 }],
  ])('rejects a bad %s', (option, options) => {
    const error = (() => {
      try {
        redisCircuitSync(options as unknown as RedisCircuitSyncOptions);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).message).toContain(option);
  });

  it('serves one breaker', () => {
    const sync = redisCircuitSync({ client, name: 'x' });
    circuitBreaker({ sync });
    expect(() => circuitBreaker({ sync })).toThrow(/already serves/);
    sync.close();
  });
});

async function redisKeys(client: TestClient, pattern: string): Promise<string[]> {
  return (await client.command(['KEYS', pattern])) as string[];
}
