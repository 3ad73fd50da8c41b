import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constant,
  type EvictionReason,
  hedge,
  InvalidOptionError,
  keyedPolicy,
  PolicyBase,
  pipeline,
  retry,
  sleep,
} from '../../src/index.js';
import type { Ctx } from '../../src/internal/context.js';
import { type Next, RUN } from '../../src/policy.js';
import { VirtualClock } from '../../src/testing.js';

/** A pass-through policy that counts the executions it runs at once (one instance per key). */
class Probe extends PolicyBase {
  static made = 0;
  readonly id = ++Probe.made;
  active = 0;
  constructor(readonly key: string) {
    super(`probe:${key}`);
  }
  async [RUN](context: Ctx, next: Next): Promise<unknown> {
    this.active++;
    try {
      const value = await next(context);
      this.events.emit('success', { policy: this.name, duration: 0 });
      return value;
    } finally {
      this.active--;
    }
  }
}

type Eviction = [string, EvictionReason];

function registry(options: { maxKeys?: number; idleTtl?: number; clock?: VirtualClock } = {}) {
  const evicted: Eviction[] = [];
  const created: string[] = [];
  const keyed = keyedPolicy((key: string) => new Probe(key), {
    ...options,
    onCreate: (_, key) => created.push(key),
    onEvict: (_, key, reason) => evicted.push([key, reason]),
  });
  return { keyed, evicted, created };
}

describe('keyedPolicy: building and caching', () => {
  it('builds one policy per key on first use and returns it afterwards', async () => {
    const { keyed, created } = registry();
    const a = keyed.get('a');
    expect(keyed.get('a')).toBe(a);
    expect(keyed.get('b')).not.toBe(a);
    expect(a.key).toBe('a');
    expect(created).toEqual(['a', 'b']);
    expect(keyed.size).toBe(2);
    expect(keyed.has('a')).toBe(true);
    expect(keyed.has('zzz')).toBe(false);
    await expect(keyed.execute('a', () => 'value')).resolves.toBe('value');
    expect(created).toEqual(['a', 'b']);
  });

  it('works with pipelines and non-string keys', async () => {
    const clock = new VirtualClock();
    const keyed = keyedPolicy((host: { name: string }) =>
      pipeline(retry({ maxAttempts: 2, backoff: constant(10), clock }), new Probe(host.name)),
    );
    const host = { name: 'api.example.com' };
    let calls = 0;
    const result = keyed.execute(host, () => {
      if (++calls === 1) throw new Error('once');
      return 'ok';
    });
    await clock.advance(10);
    await expect(result).resolves.toBe('ok');
    expect(calls).toBe(2);
    expect(keyed.get(host)).toBe(keyed.get(host));
    expect(keyed.get({ name: 'api.example.com' })).not.toBe(keyed.get(host));
  });

  it('passes options through to the policy and rejects with its error', async () => {
    const { keyed } = registry();
    const reason = new Error('stop');
    await expect(keyed.execute('a', () => 1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(keyed.execute('a', () => Promise.reject(new Error('inner')))).rejects.toThrow('inner');
  });

  it('reports a factory that throws or returns something else, without keeping the key', async () => {
    const broken = keyedPolicy((key: string) => {
      if (key === 'bad') throw new Error('cannot build');
      return 'not a policy' as never;
    });
    expect(() => broken.get('bad')).toThrow('cannot build');
    await expect(broken.execute('bad', () => 1)).rejects.toThrow('cannot build');
    await expect(broken.execute('other', () => 1)).rejects.toBeInstanceOf(InvalidOptionError);
    expect(broken.size).toBe(0);
  });

  it.each([
    [{ maxKeys: 0 }],
    [{ maxKeys: 1.5 }],
    [{ idleTtl: 0 }],
    [{ idleTtl: -5 }],
    [{ onCreate: 'x' }],
    [{ onEvict: 1 }],
  ])('rejects options %o at construction', (options) => {
    expect(() => keyedPolicy(() => new Probe('x'), options as never)).toThrow(InvalidOptionError);
  });

  it('rejects a factory that is not a function', () => {
    expect(() => keyedPolicy('nope' as never)).toThrow(InvalidOptionError);
  });
});

describe('keyedPolicy: bounded memory', () => {
  it('evicts the least recently used key beyond maxKeys', () => {
    const { keyed, evicted } = registry({ maxKeys: 3 });
    keyed.get('a');
    keyed.get('b');
    keyed.get('c');
    keyed.get('a'); // b is now the least recently used
    keyed.get('d');
    expect(evicted).toEqual([['b', 'lru']]);
    expect(keyed.keys()).toEqual(['c', 'a', 'd']);
  });

  it('holds 10,000 keys in at most maxKeys entries', async () => {
    const { keyed, evicted } = registry({ maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) await keyed.execute(`tenant-${i}`, () => i);
    expect(keyed.size).toBe(100);
    expect(evicted).toHaveLength(9900);
    expect(keyed.keys()[0]).toBe('tenant-9900');
  });

  it('never evicts a key with an execution in flight, and shrinks back once it settles', async () => {
    const clock = new VirtualClock();
    const { keyed, evicted } = registry({ maxKeys: 2, clock });
    const a = keyed.get('a');
    const running = ['a', 'b', 'c'].map((key) => keyed.execute(key, (ctx) => sleep(100, ctx.signal, clock)));
    keyed.get('d'); // every held key is busy: d is added anyway
    expect(keyed.size).toBe(4);
    expect(evicted).toEqual([]);
    expect(keyed.get('a')).toBe(a);
    await clock.advance(100);
    await Promise.all(running);
    expect(keyed.size).toBe(2);
    expect(evicted.map(([, reason]) => reason)).toEqual(['lru', 'lru']);
  });

  it('evicts keys idle for idleTtl on a background timer, but not busy ones', async () => {
    const clock = new VirtualClock();
    const { keyed, evicted } = registry({ idleTtl: 1000, clock });
    keyed.get('idle');
    const busy = keyed.execute('busy', (ctx) => sleep(5000, ctx.signal, clock));
    await clock.advance(999);
    expect(keyed.size).toBe(2);
    await clock.advance(1);
    expect(evicted).toEqual([['idle', 'idle']]);
    await clock.advance(4000);
    await busy;
    expect(keyed.keys()).toEqual(['busy']);
    await clock.advance(1000);
    expect(evicted).toEqual([
      ['idle', 'idle'],
      ['busy', 'idle'],
    ]);
    expect(keyed.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a use resets the idle time, and an expired key is rebuilt on its next use', async () => {
    const clock = new VirtualClock();
    const { keyed, created } = registry({ idleTtl: 1000, clock });
    const first = keyed.get('k');
    await clock.advance(600);
    expect(keyed.get('k')).toBe(first);
    await clock.advance(600);
    expect(keyed.get('k')).toBe(first);
    await clock.advance(1000);
    expect(keyed.get('k')).not.toBe(first);
    expect(created).toEqual(['k', 'k']);
  });

  it('delete and clear remove keys, stop the idle timer and tell onEvict', async () => {
    const clock = new VirtualClock();
    const { keyed, evicted } = registry({ idleTtl: 1000, clock });
    keyed.get('a');
    keyed.get('b');
    expect(keyed.delete('a')).toBe(true);
    expect(keyed.delete('a')).toBe(false);
    keyed.clear();
    expect(evicted).toEqual([
      ['a', 'deleted'],
      ['b', 'cleared'],
    ]);
    expect(keyed.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('delete while in flight lets the execution finish on the old policy; the next use builds a new one', async () => {
    const clock = new VirtualClock();
    const { keyed } = registry({ clock });
    const old = keyed.get('a');
    const running = keyed.execute('a', (ctx) => sleep(10, ctx.signal, clock).then(() => 'done'));
    keyed.delete('a');
    expect(keyed.get('a')).not.toBe(old);
    await clock.advance(10);
    await expect(running).resolves.toBe('done');
    expect(keyed.size).toBe(1);
  });
});

describe('keyedPolicy: events', () => {
  it('on() reaches every current and future policy with its key; unsubscribe detaches everywhere', async () => {
    const { keyed } = registry();
    const seen: Array<[string, string]> = [];
    const a = keyed.get('a');
    const off = keyed.on('success', (event, key) => seen.push([event.policy, key]));
    await keyed.execute('a', () => 1);
    await keyed.execute('b', () => 2);
    expect(seen).toEqual([
      ['probe:a', 'a'],
      ['probe:b', 'b'],
    ]);
    off();
    await keyed.execute('a', () => 1);
    await keyed.execute('c', () => 3);
    expect(seen).toHaveLength(2);
    expect(a.events.listenerCount('success')).toBe(0);
  });

  it('detaches its listeners from evicted policies', () => {
    const { keyed } = registry({ maxKeys: 1 });
    keyed.on('success', () => {});
    const a = keyed.get('a');
    expect(a.events.listenerCount('success')).toBe(1);
    keyed.get('b');
    expect(a.events.listenerCount('success')).toBe(0);
  });

  it('attach() runs its setup for every key held and every key built, and detaches on eviction and removal', () => {
    const { keyed } = registry({ maxKeys: 2 });
    keyed.get('a');
    const log: string[] = [];
    const detach = keyed.attach((policy, key) => {
      log.push(`attach ${policy.name}`);
      return () => log.push(`detach ${key}`);
    });
    expect(log).toEqual(['attach probe:a']);
    keyed.get('b');
    keyed.get('c'); // evicts a (least recently used)
    expect(log).toEqual(['attach probe:a', 'attach probe:b', 'detach a', 'attach probe:c']);
    keyed.delete('b');
    detach();
    detach();
    keyed.get('d');
    expect(log.slice(4)).toEqual(['detach b', 'detach c']);
  });

  it('attach(): a throwing setup leaves nothing attached, and a key it fails to set up is not kept', () => {
    const { keyed } = registry();
    keyed.get('a');
    const detached: string[] = [];
    keyed.attach((_policy, key) => () => detached.push(`first ${key}`));
    expect(() =>
      keyed.attach((_policy, key) => {
        if (key === 'b') throw new Error('setup failed');
      }),
    ).not.toThrow();
    expect(() => keyed.get('b')).toThrow('setup failed');
    expect(keyed.has('b')).toBe(false);
    expect(detached).toEqual(['first b']);
    expect(() => keyed.attach('nope' as never)).toThrow(InvalidOptionError);
  });

  it('forwards hedge events of per-key hedging policies', async () => {
    const clock = new VirtualClock();
    const keyed = keyedPolicy(() => hedge({ delay: 10, clock }));
    const hedges: string[] = [];
    keyed.on('hedge', (e, key) => hedges.push(`${key}:${e.hedge}`));
    const run = keyed.execute('model-a', (ctx) => sleep(ctx.hedge === 0 ? 100 : 5, ctx.signal, clock));
    await clock.advance(15);
    await run;
    expect(hedges).toEqual(['model-a:1']);
  });
});

describe('keyedPolicy: concurrency and properties', () => {
  it('runs 600 concurrent executions over 60 keys with maxKeys 10: one policy per key while in flight', async () => {
    const clock = new VirtualClock();
    const { keyed } = registry({ maxKeys: 10, idleTtl: 50, clock });
    const instances = new Map<string, Set<number>>();
    const runs = Array.from({ length: 600 }, (_, i) => {
      const key = `k${i % 60}`;
      return keyed.execute(key, async (ctx) => {
        const policy = keyed.get(key);
        (instances.get(key) ?? instances.set(key, new Set()).get(key)!).add(policy.id);
        await sleep(1 + (i % 13), ctx.signal, clock);
        return policy.active;
      });
    });
    // All 60 keys are busy at once, so none may be evicted while they run.
    expect(keyed.size).toBe(60);
    await clock.runAll();
    const active = await Promise.all(runs);
    for (const ids of instances.values()) expect(ids.size).toBe(1);
    expect(Math.max(...active)).toBe(10);
    expect(keyed.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('property: busy keys are never evicted and size stays within max(maxKeys, busy keys + 1)', async () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('start' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('finish' as const), index: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
        fc.array(opArb, { maxLength: 80 }),
        async (maxKeys, idleTtl, ops) => {
          const clock = new VirtualClock();
          const busy = new Map<string, number>();
          const violations: string[] = [];
          const keyed = keyedPolicy((key: string) => new Probe(key), {
            maxKeys,
            idleTtl,
            clock,
            // A policy still running an execution must never be evicted (delete is explicit, so allowed).
            onEvict: (policy, key, reason) => {
              if (reason !== 'deleted' && policy.active > 0) violations.push(`${key} ${reason}`);
            },
          });
          const open: Array<{ key: string; finish: () => void; done: Promise<unknown> }> = [];
          for (const op of ops) {
            if (op.kind === 'get') keyed.get(`k${op.key}`);
            else if (op.kind === 'delete') {
              keyed.delete(`k${op.key}`);
            } else if (op.kind === 'start') {
              const key = `k${op.key}`;
              let finish!: () => void;
              const gate = new Promise<void>((resolve) => (finish = resolve));
              busy.set(key, (busy.get(key) ?? 0) + 1);
              const done = keyed.execute(key, () => gate).finally(() => busy.set(key, busy.get(key)! - 1));
              open.push({ key, finish, done });
            } else if (op.kind === 'finish' && open.length > 0) {
              const [run] = open.splice(op.index % open.length, 1);
              run!.finish();
              await run!.done;
            } else if (op.kind === 'advance') {
              await clock.advance(op.ms);
            }
            const busyKeys = [...busy.values()].filter((n) => n > 0).length;
            expect(keyed.size).toBeLessThanOrEqual(Math.max(maxKeys, busyKeys + 1));
          }
          for (const run of open) run.finish();
          await Promise.all(open.map((r) => r.done));
          expect(keyed.size).toBeLessThanOrEqual(maxKeys);
          expect(violations).toEqual([]);
          keyed.clear();
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Counts the Map operations made (by anyone) until `restore` is called. */
function countMapOperations(): { readonly count: () => number; restore(): void } {
  const proto = Map.prototype as unknown as Record<
    'get' | 'set' | 'delete' | 'has',
    (...args: never[]) => unknown
  >;
  const originals = { get: proto.get, set: proto.set, delete: proto.delete, has: proto.has };
  let count = 0;
  for (const name of ['get', 'set', 'delete', 'has'] as const) {
    const original = originals[name];
    proto[name] = function (this: unknown, ...args: never[]) {
      count++;
      return original.apply(this, args);
    };
  }
  return {
    count: () => count,
    restore() {
      Object.assign(proto, originals);
    },
  };
}

/** Map operations per new key (started, then settled) while `busy` other keys have an execution in flight. */
async function mapOperationsPerNewKey(busy: number, maxKeys: number): Promise<number> {
  const keyed = keyedPolicy((key: string) => new Probe(key), { maxKeys });
  const releases: Array<() => void> = [];
  const running: Array<Promise<unknown>> = [];
  const start = (key: string) => {
    const gate = new Promise<void>((resolve) => releases.push(resolve));
    running.push(keyed.execute(key, () => gate));
    return releases[releases.length - 1]!;
  };
  for (let i = 0; i < busy; i++) start(`busy-${i}`);
  const keys = 200;
  const counter = countMapOperations();
  try {
    for (let i = 0; i < keys; i++) {
      const release = start(`new-${i}`);
      release();
      await running[running.length - 1];
    }
  } finally {
    counter.restore();
  }
  for (const release of releases) release();
  await Promise.all(running);
  expect(keyed.size).toBeLessThanOrEqual(maxKeys);
  return counter.count() / keys;
}

describe('keyedPolicy: cost with many keys in flight', () => {
  it('acquire, settle and eviction do not walk the busy keys: the work per new key does not grow with them', async () => {
    const few = await mapOperationsPerNewKey(100, 50);
    const many = await mapOperationsPerNewKey(2000, 50);
    expect(many).toBeLessThanOrEqual(few);
    // Busy keys settling one by one above maxKeys: each settle evicts at most what it must.
    expect(await mapOperationsPerNewKey(0, 50)).toBeLessThanOrEqual(few);
  });

  it('settling thousands of busy keys above maxKeys evicts each once, least recently settled first', async () => {
    const evicted: string[] = [];
    const keyed = keyedPolicy((key: string) => new Probe(key), {
      maxKeys: 10,
      onEvict: (_, key, reason) => evicted.push(`${key}:${reason}`),
    });
    const releases = new Map<string, () => void>();
    const running = Array.from({ length: 3000 }, (_, i) =>
      keyed.execute(`k${i}`, () => new Promise<void>((resolve) => releases.set(`k${i}`, resolve))),
    );
    expect(keyed.size).toBe(3000);
    const counter = countMapOperations();
    try {
      // Settle in reverse order: each settled key is the only idle one, so it is evicted at once.
      for (let i = 2999; i >= 10; i--) {
        releases.get(`k${i}`)!();
        await running[i];
      }
    } finally {
      counter.restore();
    }
    expect(counter.count() / 2990).toBeLessThan(20);
    expect(evicted).toHaveLength(2990);
    expect(evicted[0]).toBe('k2999:lru');
    expect(keyed.size).toBe(10);
    for (let i = 9; i >= 0; i--) releases.get(`k${i}`)!();
    await Promise.all(running);
    // Least recently settled first.
    expect(keyed.keys()).toEqual(['k9', 'k8', 'k7', 'k6', 'k5', 'k4', 'k3', 'k2', 'k1', 'k0']);
  });
});

describe('keyedPolicy: eviction order (model)', () => {
  it('property: the map stays within max(maxKeys, busy keys), a busy key is never evicted, and eviction takes the least recently used idle key', async () => {
    const opArb = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('start' as const), key: fc.nat(15) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('settle' as const), index: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(15) }) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(opArb, { maxLength: 120 }),
        async (maxKeys, ops) => {
          // The model: keys held, executions in flight per key, and when each key was last used while idle
          // (a get, or the settle of its last execution).
          let tick = 0;
          const held = new Set<string>();
          const inFlight = new Map<string, number>();
          const lastUse = new Map<string, number>();
          const problems: string[] = [];
          const idleHeld = () => [...held].filter((k) => (inFlight.get(k) ?? 0) === 0);
          const keyed = keyedPolicy((key: string) => new Probe(key), {
            maxKeys,
            onCreate: (_, key) => {
              held.add(key);
              lastUse.set(key, tick);
            },
            onEvict: (_, key, reason) => {
              if (reason !== 'lru') problems.push(`${key} left by ${reason}`);
              if ((inFlight.get(key) ?? 0) > 0) problems.push(`busy ${key} evicted`);
              const oldest = Math.min(...idleHeld().map((k) => lastUse.get(k)!));
              if (lastUse.get(key) !== oldest)
                problems.push(`${key} evicted, not the least recently used idle key`);
              held.delete(key);
            },
          });
          const open: Array<{ key: string; release: () => void; done: Promise<unknown> }> = [];
          for (const op of ops) {
            tick++;
            if (op.kind === 'start') {
              const key = `k${op.key}`;
              inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
              let release!: () => void;
              const gate = new Promise<void>((resolve) => (release = resolve));
              open.push({ key, release, done: keyed.execute(key, () => gate) });
            } else if (op.kind === 'settle' && open.length > 0) {
              const [run] = open.splice(op.index % open.length, 1);
              const left = inFlight.get(run!.key)! - 1;
              inFlight.set(run!.key, left);
              if (left === 0) lastUse.set(run!.key, tick);
              run!.release();
              await run!.done;
            } else if (op.kind === 'get') {
              const key = `k${op.key}`;
              if ((inFlight.get(key) ?? 0) === 0 && held.has(key)) lastUse.set(key, tick);
              keyed.get(key);
            }
            const busy = [...held].filter((k) => (inFlight.get(k) ?? 0) > 0).length;
            // Only a key just built by get (idle, with every other key busy) may pass the bound, until the
            // next execution starts or settles.
            expect(keyed.size).toBeLessThanOrEqual(Math.max(maxKeys, busy + (op.kind === 'get' ? 1 : 0)));
            expect(keyed.size).toBe(held.size);
            // keys(): idle keys least recently used first, then the busy ones.
            const idle = idleHeld().sort((a, b) => lastUse.get(a)! - lastUse.get(b)!);
            expect(keyed.keys().slice(0, idle.length)).toEqual(idle);
          }
          expect(problems).toEqual([]);
          for (const run of open) run.release();
          await Promise.all(open.map((run) => run.done));
          expect(keyed.size).toBeLessThanOrEqual(maxKeys);
        },
      ),
      { numRuns: 300 },
    );
  });
});
