/**
 * The breaker's `sync` seam (breaker/sync.ts, breaker/sharing.ts): breakers that share one in-memory fleet state
 * act as the processes of a fleet. On a virtual clock; the Redis implementation is tested in @bulwark/redis.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exponential } from '../../src/backoff/index.js';
import {
  type CircuitBreakerOptions,
  type CircuitCloseCause,
  type CircuitSync,
  circuitBreaker,
  consecutive,
  type ProbePermit,
  type SharedCircuit,
} from '../../src/breaker/index.js';
import { BrokenCircuitError, InvalidOptionError } from '../../src/errors.js';
import type { PolicyEvents } from '../../src/events.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

interface FleetState {
  readonly gen: number;
  readonly kind: 'open' | 'closed';
  readonly until: number;
  readonly breaks: number;
}

/** The shared store of a test's fleet: its circuit state and probe permits. */
class MemoryFleet {
  state: FleetState | undefined = undefined;
  readonly permits = new Set<object>();
  readonly members: MemorySync[] = [];
  /** False: members learn of a change only at `deliver()` (a sync's staleness). */
  immediate = true;
  /** True: permits count probe successes fleet-wide (ProbePermit.succeeded), as the Redis sync does. */
  countsSuccesses = false;
  /** Probe successes counted fleet-wide in the current half-open state. */
  successes = 0;
  private gen = 0;

  constructor(readonly clock: VirtualClock) {}

  /** A state published by a member (which does not learn it back), or by the fleet itself (`from` undefined). */
  publish(from: MemorySync | undefined, state: Omit<FleetState, 'gen'>): void {
    this.state = { ...state, gen: ++this.gen };
    if (from !== undefined) from.seen = this.gen;
    this.permits.clear();
    this.successes = 0;
    if (this.immediate || from === undefined) this.deliver();
  }

  deliver(): void {
    for (const member of this.members) member.learn();
  }

  sync(): MemorySync {
    const member = new MemorySync(this);
    this.members.push(member);
    return member;
  }
}

/** One process's sync: publishes its transitions at once, learns the fleet's when the fleet delivers. */
class MemorySync implements CircuitSync {
  circuit: SharedCircuit | undefined = undefined;
  seen = 0;
  readonly told: string[] = [];
  acquireTimeoutMs: number | undefined = undefined;
  /** Replaces the fleet's permit logic (a gate that hangs, rejects...). */
  acquire: (() => Promise<ProbePermit | undefined>) | undefined = undefined;
  acquired = 0;

  constructor(private readonly fleet: MemoryFleet) {}

  attach(circuit: SharedCircuit): void {
    if (this.circuit !== undefined) throw new Error('a sync serves one breaker');
    this.circuit = circuit;
    this.learn();
  }

  opened(durationMs: number, breaks: number): void {
    this.told.push(`opened ${durationMs} ${breaks}`);
    this.fleet.publish(this, { kind: 'open', until: this.fleet.clock.now() + durationMs, breaks });
  }

  closed(cause: CircuitCloseCause): void {
    this.told.push(`closed ${cause}`);
    if (cause !== 'released') this.fleet.publish(this, { kind: 'closed', until: 0, breaks: 0 });
  }

  acquireProbe(): Promise<ProbePermit | undefined> {
    this.acquired++;
    if (this.acquire !== undefined) return this.acquire();
    const fleet = this.fleet;
    const { permits } = fleet;
    const probes = this.circuit!.halfOpenProbes;
    if (permits.size + fleet.successes >= probes) return Promise.resolve(undefined);
    const token = {};
    permits.add(token);
    const release = (): void => void permits.delete(token);
    if (!fleet.countsSuccesses) return Promise.resolve({ release });
    const succeeded = (): void => {
      this.told.push('succeeded');
      if (!permits.delete(token)) return; // void: the fleet moved on
      if (++fleet.successes >= probes) fleet.publish(undefined, { kind: 'closed', until: 0, breaks: 0 });
    };
    return Promise.resolve({ release, succeeded });
  }

  learn(): void {
    const state = this.fleet.state;
    if (state === undefined || state.gen <= this.seen || this.circuit === undefined) return;
    this.seen = state.gen;
    if (state.kind === 'open') this.circuit.open(state.until - this.fleet.clock.now(), state.breaks);
    else this.circuit.close();
  }
}

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

function fleetOf(count: number, options: CircuitBreakerOptions = {}) {
  const clock = new VirtualClock(1_000_000);
  const fleet = new MemoryFleet(clock);
  const syncs = Array.from({ length: count }, () => fleet.sync());
  const breakers = syncs.map((sync) =>
    circuitBreaker({ strategy: consecutive(2), halfOpenAfter: 1_000, clock, sync, ...options }),
  );
  return { clock, fleet, syncs, breakers };
}

async function trip(breaker: ReturnType<typeof circuitBreaker>): Promise<void> {
  await breaker.execute(boom).catch(() => {});
  await breaker.execute(boom).catch(() => {});
}

describe('circuitBreaker({ sync })', () => {
  it('an open circuit in one process opens the others, for the rest of its break', async () => {
    const { clock, breakers, syncs } = fleetOf(2);
    const [a, b] = breakers as [ReturnType<typeof circuitBreaker>, ReturnType<typeof circuitBreaker>];
    const changes: PolicyEvents['stateChange'][0][] = [];
    b.on('stateChange', (event) => changes.push(event));
    await trip(a);
    expect(a.state).toBe('open');
    expect(syncs[0]!.told).toEqual(['opened 1000 1']);
    expect(b.state).toBe('open');
    expect(changes).toEqual([{ policy: 'circuitBreaker', from: 'closed', to: 'open' }]);
    // b was told, not the author: it does not publish the fleet's break back.
    expect(syncs[1]!.told).toEqual([]);
    await clock.advance(400);
    const refused = await b.execute(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect((refused as BrokenCircuitError).retryAfterMs).toBe(600);
    await clock.advance(600);
    expect(b.state).toBe('halfOpen');
  });

  it('half-open probes are limited fleet-wide; a success closes every process', async () => {
    const { clock, breakers, syncs } = fleetOf(3);
    await trip(breakers[0]!);
    await clock.advance(1_000);
    const probe = deferred<string>();
    const running = breakers[1]!.execute(() => probe.promise);
    await flushMicrotasks();
    // Each other process has its own free local slot, but the fleet's one permit is taken.
    for (const other of [breakers[0]!, breakers[2]!]) {
      const refused = await other.execute(ok).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BrokenCircuitError);
      expect((refused as BrokenCircuitError).retryAfterMs).toBeUndefined();
    }
    probe.resolve('up');
    expect(await running).toBe('up');
    expect(breakers.map((b) => b.state)).toEqual(['closed', 'closed', 'closed']);
    expect(syncs[1]!.told).toEqual(['closed probes']);
    expect(await breakers[2]!.execute(ok)).toBe('ok');
  });

  it('with a sync that counts successes, the half-open verdict is fleet-wide: N successes anywhere close it', async () => {
    const { clock, fleet, breakers, syncs } = fleetOf(3, { halfOpenProbes: 3 });
    fleet.countsSuccesses = true;
    await trip(breakers[0]!);
    await clock.advance(1_000);
    expect(await breakers[0]!.execute(ok)).toBe('ok');
    expect(await breakers[1]!.execute(ok)).toBe('ok');
    expect(fleet.successes).toBe(2);
    expect(breakers.map((b) => b.state)).toEqual(['halfOpen', 'halfOpen', 'halfOpen']);
    // Two successes and a running probe fill the fleet's three: nobody else probes, whatever its local slots.
    const probe = deferred<string>();
    const running = breakers[2]!.execute(() => probe.promise);
    await flushMicrotasks();
    await expect(breakers[0]!.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    probe.resolve('up');
    expect(await running).toBe('up');
    expect(breakers.map((b) => b.state)).toEqual(['closed', 'closed', 'closed']);
    // Each success went to the fleet instead of giving its permit back; no process closed by its own count.
    expect(syncs.map((s) => s.told.filter((t) => t !== 'opened 1000 1'))).toEqual([
      ['succeeded'],
      ['succeeded'],
      ['succeeded'],
    ]);
    expect(fleet.permits.size).toBe(0);
  });

  it('with a sync that counts successes, a failed probe anywhere reopens the fleet and forgets its successes', async () => {
    const { clock, fleet, breakers } = fleetOf(2, { halfOpenProbes: 2 });
    fleet.countsSuccesses = true;
    await trip(breakers[0]!);
    await clock.advance(1_000);
    expect(await breakers[0]!.execute(ok)).toBe('ok');
    expect(fleet.successes).toBe(1);
    await breakers[1]!.execute(boom).catch(() => {});
    expect(breakers.map((b) => b.state)).toEqual(['open', 'open']);
    expect(fleet.successes).toBe(0);
    expect(fleet.state).toMatchObject({ kind: 'open', breaks: 2 });
  });

  it('a process that sees N successes alone closes at once, as without fleet counting', async () => {
    const { clock, fleet, breakers, syncs } = fleetOf(2, { halfOpenProbes: 2 });
    fleet.countsSuccesses = true;
    await trip(breakers[0]!);
    await clock.advance(1_000);
    const first = deferred<string>();
    const running = breakers[1]!.execute(() => first.promise);
    await flushMicrotasks();
    expect(await breakers[1]!.execute(ok)).toBe('ok'); // shared: 1 fleet success
    first.resolve('up');
    expect(await running).toBe('up'); // its second success here: the local count closes
    expect(breakers.map((b) => b.state)).toEqual(['closed', 'closed']);
    expect(syncs[1]!.told).toEqual(['succeeded', 'closed probes']);
  });

  it('a failed probe reopens every process, and the break series grows fleet-wide', async () => {
    const { clock, breakers } = fleetOf(2, {
      halfOpenAfter: exponential({ initialDelay: 1_000, maxDelay: 60_000, jitter: 'none' }),
    });
    const [a, b] = breakers as [ReturnType<typeof circuitBreaker>, ReturnType<typeof circuitBreaker>];
    await trip(a);
    await clock.advance(1_000);
    await b.execute(boom).catch(() => {}); // b's probe fails: its second break, 2 s
    expect(a.state).toBe('open');
    expect(a.snapshot()).toMatchObject({ state: 'open', openUntil: clock.now() + 2_000, breaks: 2 });
    await clock.advance(2_000);
    await a.execute(boom).catch(() => {}); // a continues the series b grew: 4 s
    expect(b.snapshot()).toMatchObject({ state: 'open', openUntil: clock.now() + 4_000, breaks: 3 });
  });

  it('a process that learns late takes the fleet state then (staleness), and never closes a closed circuit again', async () => {
    const { fleet, breakers, syncs } = fleetOf(2);
    const [a, b] = breakers as [ReturnType<typeof circuitBreaker>, ReturnType<typeof circuitBreaker>];
    fleet.immediate = false;
    await b.execute(boom).catch(() => {}); // one failure counted in b
    await trip(a);
    expect(b.state).toBe('closed');
    fleet.deliver();
    expect(b.state).toBe('open');
    // The fleet closes; b's own close would start a new epoch, so a close for a closed circuit changes nothing.
    b.reset();
    expect(syncs[1]!.told).toEqual(['closed reset']);
    fleet.deliver();
    expect(a.state).toBe('closed');
    await a.execute(boom).catch(() => {});
    syncs[0]!.circuit!.close(); // the fleet says closed again: a keeps its one failure
    await a.execute(boom).catch(() => {});
    expect(a.state).toBe('open');
  });

  it('the closed path never calls the sync', async () => {
    const { breakers, syncs } = fleetOf(1);
    const breaker = breakers[0]!;
    for (let i = 0; i < 50; i++) await breaker.execute(ok);
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(ok);
    expect(syncs[0]!.told).toEqual([]);
    expect(syncs[0]!.acquired).toBe(0);
  });

  it('isolation is local: the fleet state does not lift it, and its release is not published', async () => {
    const { breakers, syncs } = fleetOf(2);
    const [a, b] = breakers as [ReturnType<typeof circuitBreaker>, ReturnType<typeof circuitBreaker>];
    const handle = b.isolate();
    await trip(a);
    expect(b.state).toBe('isolated');
    a.reset();
    expect(b.state).toBe('isolated');
    handle.dispose();
    expect(b.state).toBe('closed');
    expect(syncs[1]!.told).toEqual(['closed released']);
  });

  it('a fleet break is capped at the longest local break; NaN and negative values count as 0', async () => {
    const { clock, breakers, syncs } = fleetOf(1);
    const link = syncs[0]!.circuit!;
    link.open(1e12, 1e12);
    expect(breakers[0]!.snapshot()).toMatchObject({ state: 'open', openUntil: clock.now() + 1_000 });
    link.open(Number.NaN, Number.NaN);
    expect(breakers[0]!.snapshot()).toMatchObject({ state: 'halfOpen', breaks: 0 });
    link.open(-5, -1);
    expect(breakers[0]!.state).toBe('halfOpen');
  });

  describe('the probe permit', () => {
    it('that hangs: the probe runs on its local slot after acquireTimeoutMs; a late permit is released', async () => {
      const clock = new VirtualClock();
      const sync = new MemoryFleet(clock).sync();
      const late = deferred<ProbePermit | undefined>();
      sync.acquire = () => late.promise;
      sync.acquireTimeoutMs = 250;
      const breaker = circuitBreaker({ strategy: consecutive(1), halfOpenAfter: 100, clock, sync });
      await breaker.execute(boom).catch(() => {});
      await clock.advance(100);
      let ran = false;
      const probe = breaker.execute(async () => {
        ran = true;
        return 'probed';
      });
      await clock.advance(249);
      expect(ran).toBe(false);
      await clock.advance(1);
      expect(await probe).toBe('probed');
      expect(breaker.state).toBe('closed');
      let released = 0;
      late.resolve({ release: () => released++ });
      await flushMicrotasks();
      expect(released).toBe(1);
      expect(clock.pendingTimers).toBe(0);
    });

    it('that rejects: the probe runs on its local slot', async () => {
      const { clock, breakers, syncs } = fleetOf(1, { strategy: consecutive(1) });
      syncs[0]!.acquire = () => Promise.reject(new Error('store down'));
      await breakers[0]!.execute(boom).catch(() => {});
      await clock.advance(1_000);
      expect(await breakers[0]!.execute(ok)).toBe('ok');
      expect(breakers[0]!.state).toBe('closed');
      expect(clock.pendingTimers).toBe(0);
    });

    it('that throws synchronously: the probe runs on its local slot', async () => {
      const { clock, breakers, syncs } = fleetOf(1, { strategy: consecutive(1) });
      syncs[0]!.acquire = () => {
        throw new Error('bug');
      };
      await breakers[0]!.execute(boom).catch(() => {});
      await clock.advance(1_000);
      expect(await breakers[0]!.execute(ok)).toBe('ok');
    });

    it('a caller that aborts while waiting leaves with its reason, and frees its local slot', async () => {
      const { clock, breakers, syncs } = fleetOf(1, { strategy: consecutive(1) });
      const pending = deferred<ProbePermit | undefined>();
      syncs[0]!.acquire = () => pending.promise;
      await breakers[0]!.execute(boom).catch(() => {});
      await clock.advance(1_000);
      const controller = new AbortController();
      const waiting = breakers[0]!.execute(ok, { signal: controller.signal });
      await flushMicrotasks();
      controller.abort(new Error('caller gave up'));
      await expect(waiting).rejects.toThrow('caller gave up');
      expect(clock.pendingTimers).toBe(0);
      let released = 0;
      pending.resolve({ release: () => released++ });
      await flushMicrotasks();
      expect(released).toBe(1);
      syncs[0]!.acquire = undefined;
      expect(await breakers[0]!.execute(ok)).toBe('ok'); // the slot was freed
    });

    it('a permit answered together with the fleet closing: the caller runs as a closed call', async () => {
      const { clock, fleet, breakers, syncs } = fleetOf(2);
      const [a, b] = breakers as [ReturnType<typeof circuitBreaker>, ReturnType<typeof circuitBreaker>];
      await trip(a);
      await clock.advance(1_000);
      fleet.immediate = false;
      await a.execute(ok); // a's probe closes the fleet; b has not learnt it yet
      syncs[1]!.acquire = async () => {
        syncs[1]!.learn();
        return undefined;
      };
      expect(await b.execute(ok)).toBe('ok');
      expect(b.state).toBe('closed');
    });

    it('is released when the probe settles, also when its caller left first', async () => {
      const { clock, fleet, breakers } = fleetOf(1, { strategy: consecutive(1) });
      await breakers[0]!.execute(boom).catch(() => {});
      await clock.advance(1_000);
      const work = deferred<string>();
      const controller = new AbortController();
      const probe = breakers[0]!.execute(() => work.promise, { signal: controller.signal });
      await flushMicrotasks();
      expect(fleet.permits.size).toBe(1);
      controller.abort(new Error('left'));
      await expect(probe).rejects.toThrow('left');
      expect(fleet.permits.size).toBe(1); // the function still runs
      work.resolve('late');
      await flushMicrotasks();
      expect(fleet.permits.size).toBe(0);
    });
  });

  it('checks the sync option', () => {
    expect(() => circuitBreaker({ sync: {} as CircuitSync })).toThrow(InvalidOptionError);
    expect(() => circuitBreaker({ sync: {} as CircuitSync })).toThrow(/sync/);
    const sync = new MemoryFleet(new VirtualClock()).sync();
    sync.acquireTimeoutMs = 0;
    expect(() => circuitBreaker({ sync })).toThrow(/sync\.acquireTimeoutMs/);
  });

  it('property: probes running fleet-wide never exceed halfOpenProbes, and every process follows the fleet', async () => {
    type Step =
      | { type: 'call'; who: number; fails: boolean }
      | { type: 'settle'; index: number }
      | { type: 'advance'; ms: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ type: fc.constant('call' as const), who: fc.nat(2), fails: fc.boolean() }),
      fc.record({ type: fc.constant('settle' as const), index: fc.nat() }),
      fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 700 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.array(stepArb, { maxLength: 60 }),
        async (probes, countsSuccesses, steps) => {
          const { clock, fleet, breakers } = fleetOf(3, { halfOpenProbes: probes, strategy: consecutive(1) });
          fleet.countsSuccesses = countsSuccesses;
          const pending: { settle: () => void }[] = [];
          let probing = 0;
          let maxProbing = 0;
          for (const step of steps) {
            if (step.type === 'call') {
              const breaker = breakers[step.who]!;
              const probe = breaker.state === 'halfOpen';
              const work = deferred<string>();
              work.promise.catch(() => {}); // a refused call never runs its function
              breaker
                .execute(() => {
                  if (probe) maxProbing = Math.max(maxProbing, ++probing);
                  return work.promise.finally(() => {
                    if (probe) probing--;
                  });
                })
                .catch(() => {});
              pending.push({ settle: () => (step.fails ? work.reject(new Error('x')) : work.resolve('ok')) });
            } else if (step.type === 'settle' && pending.length > 0) {
              pending.splice(step.index % pending.length, 1)[0]!.settle();
            } else if (step.type === 'advance') {
              await clock.advance(step.ms);
            }
            await flushMicrotasks();
            expect(maxProbing).toBeLessThanOrEqual(probes);
            // Fleet-wide, the successes of a half-open state and its running probes never exceed its probes.
            expect(fleet.successes + probing).toBeLessThanOrEqual(probes);
            // Every process follows the fleet's last word: open everywhere, or closed everywhere.
            const last = fleet.state;
            if (last?.kind === 'closed') expect(breakers.every((b) => b.state === 'closed')).toBe(true);
            if (last?.kind === 'open' && clock.now() < last.until) {
              expect(breakers.every((b) => b.state === 'open')).toBe(true);
            }
          }
          for (const p of pending) p.settle();
          await flushMicrotasks();
        },
      ),
      { numRuns: 150 },
    );
  });
});
