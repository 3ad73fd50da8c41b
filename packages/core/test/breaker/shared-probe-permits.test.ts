/**
 * A shared circuit's probe permits, one by one: a refused permit frees the local slot, a permit that comes with the
 * fleet's change of state is given back and its slot freed, a permit is given back once (or handed its success
 * instead), and what a throwing sync does (rethrown detached). On a virtual clock, with a hand-driven sync.
 */
import { describe, expect, it } from 'vitest';
import {
  type CircuitBreakerOptions,
  type CircuitSync,
  circuitBreaker,
  consecutive,
  type ProbePermit,
  type SharedCircuit,
} from '../../src/breaker/index.js';
import { BrokenCircuitError } from '../../src/errors.js';
import type { RejectedEvent } from '../../src/events.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred, detachedErrors } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

/** A sync whose answers the test decides; it records what it is told. */
function handSync(acquire: () => Promise<ProbePermit | undefined>) {
  const told: string[] = [];
  let link: SharedCircuit | undefined;
  let asked = 0;
  const sync: CircuitSync & { acquire: typeof acquire } = {
    acquire,
    attach: (circuit) => {
      link = circuit;
    },
    opened: (durationMs, breaks) => told.push(`opened ${durationMs} ${breaks}`),
    closed: (cause) => told.push(`closed ${cause}`),
    acquireProbe() {
      asked++;
      return this.acquire();
    },
    acquireTimeoutMs: 200,
  };
  return { sync, told, link: () => link!, asked: () => asked };
}

/** A permit that counts its calls; `succeeded` only if asked for. */
function countingPermit(withSucceeded = false) {
  const calls: string[] = [];
  const permit: ProbePermit = { release: () => calls.push('release') };
  if (withSucceeded) permit.succeeded = () => calls.push('succeeded');
  return { permit, calls };
}

async function halfOpenShared(
  acquire: () => Promise<ProbePermit | undefined>,
  options: Omit<CircuitBreakerOptions, 'clock' | 'sync'> = {},
) {
  const clock = new VirtualClock();
  const hand = handSync(acquire);
  const breaker = circuitBreaker({
    clock,
    sync: hand.sync,
    strategy: consecutive(1),
    halfOpenAfter: 100,
    ...options,
  });
  await breaker.execute(boom).catch(() => {});
  await clock.advance(100);
  return { clock, breaker, ...hand };
}

describe('shared probe permits', () => {
  it('a permit the fleet refuses: halfOpenBusy, and the local slot is free for the next caller', async () => {
    const { breaker, sync, asked } = await halfOpenShared(async () => undefined);
    const rejected: RejectedEvent[] = [];
    breaker.on('rejected', (event) => rejected.push(event));
    const refused = await breaker.execute(ok).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect(rejected).toStrictEqual([
      { policy: 'circuitBreaker', reason: 'halfOpenBusy', retryAfterMs: undefined },
    ]);
    sync.acquire = async () => countingPermit().permit;
    expect(await breaker.execute(ok)).toBe('ok');
    expect(asked()).toBe(2);
    expect(breaker.state).toBe('closed');
  });

  it("a permit that comes with the fleet's close is given back, the caller runs closed, and the slot is free", async () => {
    const { clock, breaker, sync, link } = await halfOpenShared(async () => undefined);
    const { permit, calls } = countingPermit();
    sync.acquire = async () => {
      link().close();
      return permit;
    };
    expect(await breaker.execute(ok)).toBe('ok');
    expect(calls).toEqual(['release']);
    expect(breaker.state).toBe('closed');
    sync.acquire = async () => countingPermit().permit;
    await breaker.execute(boom).catch(() => {});
    await clock.advance(100);
    expect(await breaker.execute(ok)).toBe('ok'); // a probe: its slot was freed
    expect(breaker.state).toBe('closed');
  });

  it('a wait that times out after the fleet closed: the caller runs closed, with nothing thrown detached', async () => {
    const hung = deferred<ProbePermit | undefined>();
    const { clock, breaker, link } = await halfOpenShared(() => hung.promise);
    const errors = await detachedErrors(async () => {
      const call = breaker.execute(ok);
      await flushMicrotasks();
      link().close();
      await clock.advance(200);
      expect(await call).toBe('ok');
      await flushMicrotasks();
    });
    expect(errors).toEqual([]);
  });

  it('a probe without a verdict gives its permit back once', async () => {
    const { permit, calls } = countingPermit();
    const { breaker } = await halfOpenShared(async () => permit, {
      handle: (error) => (error as Error).message !== 'ignored',
    });
    await breaker.execute(() => Promise.reject(new Error('ignored'))).catch(() => {});
    await flushMicrotasks();
    expect(calls).toEqual(['release']);
    expect(breaker.state).toBe('halfOpen');
  });

  it('a success that does not close here goes to succeeded (not release); without succeeded, the permit is released', async () => {
    const withSucceeded = countingPermit(true);
    const shared = await halfOpenShared(async () => withSucceeded.permit, { halfOpenProbes: 2 });
    expect(await shared.breaker.execute(ok)).toBe('ok');
    await flushMicrotasks();
    expect(withSucceeded.calls).toEqual(['succeeded']);
    expect(shared.breaker.state).toBe('halfOpen');

    const plain = countingPermit();
    const local = await halfOpenShared(async () => plain.permit, { halfOpenProbes: 2 });
    expect(await local.breaker.execute(ok)).toBe('ok');
    await flushMicrotasks();
    expect(plain.calls).toEqual(['release']);
  });

  it('a caller that leaves during the wait is not refused: no rejected event', async () => {
    const hung = deferred<ProbePermit | undefined>();
    const { breaker } = await halfOpenShared(() => hung.promise);
    let rejected = 0;
    breaker.on('rejected', () => rejected++);
    const controller = new AbortController();
    const call = breaker.execute(ok, { signal: controller.signal });
    await flushMicrotasks();
    controller.abort(new Error('left'));
    await expect(call).rejects.toThrow('left');
    await flushMicrotasks();
    expect(rejected).toBe(0);
  });

  it("a reset's close is told as 'reset', a later probes' close as 'probes'", async () => {
    const { clock, breaker, told } = await halfOpenShared(async () => countingPermit().permit);
    breaker.reset();
    await breaker.execute(boom).catch(() => {});
    await clock.advance(100);
    await breaker.execute(ok);
    expect(told).toEqual(['opened 100 1', 'closed reset', 'opened 100 1', 'closed probes']);
  });

  it('a sync that throws (told of a transition, releasing, taking a success) is rethrown detached; the breaker goes on', async () => {
    const bug = new Error('sync bug');
    const errors = await detachedErrors(async () => {
      const permit: ProbePermit = {
        release: () => {
          throw bug;
        },
        succeeded: () => {
          throw bug;
        },
      };
      const { breaker, sync } = await halfOpenShared(async () => permit, {
        halfOpenProbes: 2,
        handle: (error) => (error as Error).message !== 'ignored',
      });
      sync.opened = () => {
        throw bug;
      };
      await breaker.execute(ok); // succeeded throws
      await breaker.execute(() => Promise.reject(new Error('ignored'))).catch(() => {}); // release throws
      await flushMicrotasks();
      expect(breaker.state).toBe('halfOpen');
      sync.closed = () => {
        throw bug;
      };
      breaker.reset(); // closed throws
      expect(breaker.state).toBe('closed');
      await breaker.execute(boom).catch(() => {}); // opened throws
      expect(breaker.state).toBe('open');
    });
    expect(errors).toEqual([bug, bug, bug, bug]);
  });
});
