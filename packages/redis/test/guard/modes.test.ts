import {
  constant,
  isExecutionRejectedError,
  isTimeoutError,
  type RateLimit,
  tokenBucket,
} from '@bulwark/core';
import type { AcquireRequest, RateLimitScope } from '@bulwark/core/store';
import { VirtualClock } from '@bulwark/core/testing';
import { describe, expect, it } from 'vitest';
import {
  type GuardStoreOptions,
  guardStore,
  isStoreUnavailableError,
  StoreUnavailableError,
} from '../../src/index.js';
import { ControlledStore } from './controlled-store.js';

const limits: RateLimit[] = [tokenBucket({ rate: 2, per: 1000 })];
const scope: RateLimitScope = { id: 'modes', limits };

function setup(options: GuardStoreOptions) {
  const clock = new VirtualClock(5_000);
  const primary = new ControlledStore(clock);
  const store = guardStore(primary, { clock, probeBackoff: constant(1000), ...options });
  const acquire = (key = 'k', marks?: number[]): AcquireRequest => ({
    scope,
    key,
    costs: [1],
    now: clock.now(),
    marks,
  });
  /** Takes the store down (a rejected acquire). */
  const down = async () => {
    primary.behaviour = 'reject';
    await Promise.resolve(store.acquire(acquire('down-key'))).catch(() => {});
    expect(store.available).toBe(false);
  };
  return { clock, primary, store, acquire, down };
}

describe("onStoreError: 'local'", () => {
  it('applies the same limits to this process alone, per key', async () => {
    const { store, acquire, down, clock } = setup({ onStoreError: 'local' });
    await down();
    const a = [1, 2, 3].map(() => store.acquire(acquire('a')));
    expect(a.map((r) => (r as { admitted: boolean }).admitted)).toEqual([true, true, false]);
    expect(a[2]).toMatchObject({ limit: 0, retryAfterMs: 500 });
    expect(store.acquire(acquire('b'))).toMatchObject({ admitted: true });
    // Reads show the local usage, in the callers' time.
    const reading = store.read({ scope, key: 'a', now: clock.now() });
    expect(reading).toMatchObject({ now: clock.now(), state: { limits: [{ tat: clock.now() + 1000 }] } });
  });

  it("corrects the fallback's admissions on the fallback, even after the store came back", async () => {
    const { store, acquire, down, primary, clock } = setup({ onStoreError: 'local' });
    await down();
    const marks: number[] = [];
    expect(store.acquire(acquire('a', marks))).toMatchObject({ admitted: true });
    store.acquire(acquire('a'));
    expect(store.acquire(acquire('a'))).toMatchObject({ admitted: false });
    primary.behaviour = 'ok';
    await clock.advance(1000);
    expect(store.available).toBe(true);
    const adjusts = primary.calls.adjust;
    // A refund of the local admission frees local room; the shared store is not asked.
    await store.adjust({
      scope,
      key: 'a',
      deltas: [-1],
      admission: { at: clock.now() - 1000, costs: [1], marks },
      now: clock.now(),
    });
    expect(primary.calls.adjust).toBe(adjusts);
  });

  it("drops the adjust of the store's own admission while the store is down", async () => {
    const { store, acquire, down, primary, clock } = setup({ onStoreError: 'local' });
    primary.behaviour = 'ok';
    const marks: number[] = [];
    expect(await store.acquire(acquire('a', marks))).toMatchObject({ admitted: true });
    await down();
    const adjusts = primary.calls.adjust;
    const done = store.adjust({
      scope,
      key: 'a',
      deltas: [-1],
      admission: { at: clock.now(), costs: [1], marks },
      now: clock.now(),
    });
    expect(done).toBeUndefined();
    expect(primary.calls.adjust).toBe(adjusts);
  });
});

describe("onStoreError: 'admit'", () => {
  it('admits everything, except while a pause of this process holds', async () => {
    const { store, acquire, down, clock } = setup({ onStoreError: 'admit' });
    await down();
    for (let i = 0; i < 10; i++) expect(store.acquire(acquire('a'))).toMatchObject({ admitted: true });
    await store.pause({ scope, key: 'a', forMs: 300, now: clock.now() });
    expect(store.acquire(acquire('a'))).toEqual({ admitted: false, retryAfterMs: 300, limit: -1 });
    expect(store.acquire(acquire('b'))).toMatchObject({ admitted: true });
    // The read shows no usage, and the pause.
    const reading = store.read({ scope, key: 'a', now: clock.now() });
    expect(reading).toMatchObject({ state: { pausedUntil: clock.now() + 300 } });
    await clock.advance(300);
    expect(store.acquire(acquire('a'))).toMatchObject({ admitted: true });
  });

  it('an adjust of an admission it made is a no-op', async () => {
    const { store, acquire, down, primary, clock } = setup({ onStoreError: 'admit' });
    await down();
    const marks: number[] = [];
    store.acquire(acquire('a', marks));
    primary.behaviour = 'ok';
    await clock.advance(1000);
    const adjusts = primary.calls.adjust;
    const request = {
      scope,
      key: 'a',
      deltas: [5],
      admission: { at: clock.now(), costs: [1], marks },
      now: 0,
    };
    expect(store.adjust(request)).toBeUndefined();
    expect(primary.calls.adjust).toBe(adjusts);
  });
});

describe("onStoreError: 'refuse'", () => {
  it('refuses acquire and read with a typed local refusal carrying the cause and the next probe', async () => {
    const { store, acquire, primary, clock } = setup({
      onStoreError: 'refuse',
      name: 'redis',
      callTimeoutMs: 250,
    });
    primary.behaviour = 'hang';
    const pending = Promise.resolve(store.acquire(acquire())).catch((e: unknown) => e);
    await clock.advance(250);
    const error = (await pending) as StoreUnavailableError;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(isStoreUnavailableError(error)).toBe(true);
    expect(isExecutionRejectedError(error)).toBe(true);
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.store).toBe('redis');
    expect(isTimeoutError(error.cause)).toBe(true);
    expect(error.retryAfterMs).toBe(1000);
    // Down: refused synchronously, without asking the store.
    await clock.advance(400);
    const asked = primary.calls.acquire;
    let thrown: unknown;
    try {
      store.acquire(acquire());
    } catch (e) {
      thrown = e;
    }
    expect(isStoreUnavailableError(thrown)).toBe(true);
    expect((thrown as StoreUnavailableError).retryAfterMs).toBe(600);
    expect(primary.calls.acquire).toBe(asked);
    expect(() => store.read({ scope, key: 'k', now: clock.now() })).toThrow(StoreUnavailableError);
    // An adjust the store cannot record is refused too; a pause is kept locally and never refused.
    expect(() =>
      store.adjust({ scope, key: 'k', deltas: [1], admission: { at: 0, costs: [1], marks: [0] }, now: 0 }),
    ).toThrow(StoreUnavailableError);
    expect(store.pause({ scope, forMs: 100, now: clock.now() })).toBeUndefined();
  });
});

describe('pauses', () => {
  it('every pause is kept locally, so one learned before an outage still holds during it', async () => {
    const { store, acquire, down, clock, primary } = setup({ onStoreError: 'local' });
    primary.behaviour = 'ok';
    await store.pause({ scope, forMs: 2000, now: clock.now() });
    expect(primary.calls.pause).toBe(1);
    await down();
    expect(store.acquire(acquire('a'))).toMatchObject({ admitted: false, limit: -1 });
    await clock.advance(2000);
    expect(store.acquire(acquire('a'))).toMatchObject({ admitted: true });
  });

  it('a pause whose store call fails resolves (applied locally) and begins the outage', async () => {
    const { store, acquire, clock, primary } = setup({ onStoreError: 'local' });
    primary.behaviour = 'reject';
    await expect(store.pause({ scope, key: 'a', forMs: 500, now: clock.now() })).resolves.toBeUndefined();
    expect(store.available).toBe(false);
    expect(store.acquire(acquire('a'))).toMatchObject({ admitted: false, limit: -1, retryAfterMs: 500 });
  });
});
