import { constant, isInvalidOptionError, isTimeoutError, type RateLimit, tokenBucket } from '@bulwark/core';
import type { AcquireRequest, RateLimitScope, RateLimitStore, RelimitRequest } from '@bulwark/core/store';
import { VirtualClock } from '@bulwark/core/testing';
import { describe, expect, it } from 'vitest';
import {
  type GuardStoreOptions,
  guardStore,
  type StoreRecoveredEvent,
  type StoreUnavailableEvent,
} from '../../src/index.js';
import { ControlledStore } from './controlled-store.js';

const limits: RateLimit[] = [tokenBucket({ rate: 2, per: 1000 })];
const scope: RateLimitScope = { id: 'test-scope', limits };

function acquireRequest(clock: VirtualClock, key = 'k', marks?: number[]): AcquireRequest {
  return { scope, key, costs: [1], now: clock.now(), marks };
}

/** A guard over a controlled store on a virtual clock, with its events recorded. */
function setup(options: GuardStoreOptions = {}) {
  const clock = new VirtualClock(1_000_000);
  const primary = new ControlledStore(clock);
  const store = guardStore(primary, { clock, probeBackoff: constant(1000), ...options });
  const events: Array<['unavailable', StoreUnavailableEvent] | ['recovered', StoreRecoveredEvent]> = [];
  store.on('unavailable', (e) => events.push(['unavailable', e]));
  store.on('recovered', (e) => events.push(['recovered', e]));
  return { clock, primary, store, events };
}

/** Settles `value` (a store's answer) while advancing the virtual clock by `ms`, and says when it settled. */
async function settle<T>(clock: VirtualClock, value: T | PromiseLike<T>, ms = 10_000) {
  const started = clock.now();
  let settledAt: number | undefined;
  let outcome: { value: T } | { error: unknown } | undefined;
  Promise.resolve(value).then(
    (v) => {
      settledAt = clock.now();
      outcome = { value: v };
    },
    (error: unknown) => {
      settledAt = clock.now();
      outcome = { error };
    },
  );
  for (let i = 0; i < ms && outcome === undefined; i++) await clock.advance(1);
  return { outcome, after: settledAt === undefined ? undefined : settledAt - started };
}

describe('guardStore options', () => {
  const primary = new ControlledStore(new VirtualClock());
  it.each([
    ['callTimeoutMs', { callTimeoutMs: 0 }],
    ['callTimeoutMs', { callTimeoutMs: -5 }],
    ['callTimeoutMs', { callTimeoutMs: Number.NaN }],
    ['callTimeoutMs', { callTimeoutMs: Number.POSITIVE_INFINITY }],
    ['callTimeoutMs', { callTimeoutMs: '250' }],
    ['onStoreError', { onStoreError: 'ignore' }],
    ['onStoreError', { onStoreError: null }],
    ['probeBackoff', { probeBackoff: {} }],
    ['probeBackoff', { probeBackoff: 1000 }],
    ['localMaxKeys', { localMaxKeys: 0 }],
    ['localMaxKeys', { localMaxKeys: 1.5 }],
    ['clock', { clock: { now: () => 0 } }],
    ['name', { name: 42 }],
    ['options', null],
    ['options', 'fast'],
  ])('refuses a bad %s', (option, options) => {
    let error: unknown;
    try {
      guardStore(primary, options as GuardStoreOptions);
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
  });

  it('refuses something that is not a store, naming it', () => {
    expect(() => guardStore({ acquire() {} } as never)).toThrow(/"store"/);
  });

  it('has documented defaults', () => {
    const store = guardStore(primary);
    expect(store.callTimeoutMs).toBe(250);
    expect(store.mode).toBe('local');
    expect(store.name).toBe('store');
    expect(store.available).toBe(true);
  });
});

describe('a healthy store', () => {
  it('passes answers through (its time and marks included) and leaves no timer behind', async () => {
    const { clock, primary, store, events } = setup();
    const marks: number[] = [];
    const result = await store.acquire(acquireRequest(clock, 'k', marks));
    expect(result).toEqual({ admitted: true, at: clock.now() });
    // The marks the store wrote (on a request of the guard's own) reach the caller's array.
    expect(marks).toEqual([clock.now() + 500]);
    expect(primary.acquired[0]!.marks).not.toBe(marks);
    await store.acquire(acquireRequest(clock));
    const denied = await store.acquire(acquireRequest(clock));
    expect(denied).toMatchObject({ admitted: false, limit: 0 });
    expect(clock.pendingTimers).toBe(0);
    expect(events).toEqual([]);
  });

  it('answers a synchronous store synchronously, with no timer', () => {
    const { clock, primary, store } = setup();
    primary.behaviour = 'sync';
    expect(store.acquire(acquireRequest(clock))).toEqual({ admitted: true, at: clock.now() });
    expect(clock.pendingTimers).toBe(0);
  });

  it('a slow answer within callTimeoutMs is the answer', async () => {
    const { clock, primary, store, events } = setup({ callTimeoutMs: 300 });
    primary.behaviour = 'slow';
    primary.slowMs = 299;
    const { outcome, after } = await settle(clock, store.acquire(acquireRequest(clock)));
    expect(outcome).toEqual({ value: { admitted: true, at: clock.now() } });
    expect(after).toBe(299);
    expect(events).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('a store that hangs', () => {
  it('costs a call callTimeoutMs, then the local limits answer and the outage is reported once', async () => {
    const { clock, primary, store, events } = setup({ callTimeoutMs: 250 });
    primary.behaviour = 'hang';
    const first = settle(clock, store.acquire(acquireRequest(clock)));
    const second = store.acquire(acquireRequest(clock));
    const { outcome, after } = await first;
    expect(after).toBe(250);
    // Decided by the local limits at the caller's time plus the 250 ms given to the store, and said so.
    expect(outcome).toEqual({ value: { admitted: true, at: clock.now() } });
    expect(await second).toEqual({ admitted: true, at: clock.now() });
    expect(store.available).toBe(false);
    expect(events).toHaveLength(1);
    const [name, event] = events[0]!;
    expect(name).toBe('unavailable');
    expect(event).toMatchObject({ store: 'store', operation: 'acquire', mode: 'local' });
    expect(isTimeoutError((event as StoreUnavailableEvent).error)).toBe(true);
    // Down: the local limits answer at once, without asking the store.
    const asked = primary.calls.acquire;
    expect(store.acquire(acquireRequest(clock))).toMatchObject({ admitted: false, limit: 0 });
    expect(primary.calls.acquire).toBe(asked);
  });

  it('ignores a late answer: no unhandled rejection, and it does not overwrite the marks the caller got', async () => {
    const { clock, primary, store } = setup();
    primary.behaviour = 'hang';
    const marks: number[] = [];
    const pending = store.acquire(acquireRequest(clock, 'k', marks));
    await clock.advance(250);
    expect(await pending).toEqual({ admitted: true, at: clock.now() });
    const local = [...marks];
    expect(local).toEqual([clock.now() + 500]);
    primary.release();
    await clock.advance(1);
    expect(marks).toEqual(local);
    // A late failure is handled too (an unhandled one would fail this file).
    primary.behaviour = 'hang';
    const other = guardStore(primary, { clock });
    const late = other.read({ scope, key: 'x', now: clock.now() });
    await clock.advance(250);
    await late;
    primary.fail(new Error('connection reset'));
    await clock.advance(1);
  });
});

describe('a store that fails', () => {
  it.each(['reject', 'throw'] as const)('(%s) answers from the fallback at once', async (behaviour) => {
    const { clock, primary, store, events } = setup();
    primary.behaviour = behaviour;
    const answers = await Promise.all([1, 2, 3].map(() => store.acquire(acquireRequest(clock))));
    expect(answers.map((a) => a.admitted)).toEqual([true, true, false]);
    expect(events.map(([name]) => name)).toEqual(['unavailable']);
    expect((events[0]![1] as StoreUnavailableEvent).error).toBeInstanceOf(Error);
  });

  it.each(['read', 'pause', 'adjust'] as const)('a failed %s also begins an outage', async (operation) => {
    const { clock, primary, store, events } = setup();
    primary.behaviour = 'reject';
    const request = { scope, key: 'k', now: clock.now() };
    if (operation === 'read') await store.read(request);
    if (operation === 'pause') await store.pause({ ...request, forMs: 10 });
    if (operation === 'adjust') {
      await store.adjust({ ...request, deltas: [1], admission: { at: clock.now(), costs: [1], marks: [0] } });
    }
    expect(events).toHaveLength(1);
    expect(events[0]![1]).toMatchObject({ operation });
  });
});

describe('relimit', () => {
  const slower: RateLimitScope = { id: scope.id, limits: [tokenBucket({ rate: 1, per: 1000, capacity: 2 })] };

  it('goes to the store when it is up, and to the local limits always', async () => {
    const { clock, primary, store } = setup();
    const sent: RelimitRequest[] = [];
    (primary as RateLimitStore).relimit = (request) => {
      sent.push(request);
      return Promise.resolve();
    };
    await store.relimit({ scope: slower, now: clock.now() });
    expect(sent).toEqual([{ scope: slower, now: clock.now() }]);
  });

  it('while the store is down, converts the local limits only; a failed relimit begins an outage', async () => {
    const { clock, primary, store, events } = setup();
    const sent: RelimitRequest[] = [];
    (primary as RateLimitStore).relimit = (request) => {
      sent.push(request);
      return Promise.reject(new Error('down'));
    };
    await store.relimit({ scope, now: clock.now() });
    expect(events.map(([name, e]) => [name, (e as StoreUnavailableEvent).operation])).toEqual([
      ['unavailable', 'relimit'],
    ]);
    // Down: 2 units at 500 ms taken locally (a backlog of 1 s); at 1 unit a second, a backlog of 2 s.
    for (let i = 0; i < 2; i++) expect((await store.acquire(acquireRequest(clock))).admitted).toBe(true);
    await store.relimit({ scope: slower, now: clock.now() });
    expect(sent).toHaveLength(1);
    const next = await store.acquire({ scope: slower, key: 'k', costs: [1], now: clock.now() });
    expect(next).toMatchObject({ admitted: false, retryAfterMs: 1000 });
  });
});

describe('recovery', () => {
  it('probes one at a time at the backoff delays, then sends traffic to the store again', async () => {
    const { clock, primary, store, events } = setup({ probeBackoff: constant(1000), callTimeoutMs: 250 });
    primary.behaviour = 'hang';
    const started = clock.now();
    void store.acquire(acquireRequest(clock));
    await clock.advance(250);
    expect(store.available).toBe(false);
    const readsAtOutage = primary.calls.read;
    // Probes (reads) at +1000 after each failure; each hangs, so each times out 250 ms later.
    await clock.advance(1000);
    expect(primary.calls.read).toBe(readsAtOutage + 1);
    await clock.advance(249);
    expect(primary.calls.read).toBe(readsAtOutage + 1);
    await clock.advance(1 + 1000);
    expect(primary.calls.read).toBe(readsAtOutage + 2);
    primary.behaviour = 'ok';
    await clock.advance(1250);
    expect(primary.calls.read).toBe(readsAtOutage + 3);
    expect(store.available).toBe(true);
    expect(events.map(([name]) => name)).toEqual(['unavailable', 'recovered']);
    expect(events[1]![1]).toEqual({ store: 'store', downtime: clock.now() - (started + 250), probes: 3 });
    // The timed-out probes answering late change nothing.
    primary.release();
    await clock.advance(1);
    expect(events).toHaveLength(2);
    // Back on the store, no timer left.
    const asked = primary.calls.acquire;
    expect(await store.acquire(acquireRequest(clock))).toMatchObject({ admitted: true });
    expect(primary.calls.acquire).toBe(asked + 1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never has more than one probe in flight: the next starts after the last one answered or timed out', async () => {
    const { clock, primary, store } = setup({ probeBackoff: constant(0), callTimeoutMs: 100 });
    // (A delay of 0 counts as the 50 ms floor: after a timeout, the next probe comes 50 ms later.)
    primary.behaviour = 'hang';
    void store.acquire(acquireRequest(clock));
    await clock.advance(100);
    const starts: number[] = [];
    const read = primary.read.bind(primary);
    primary.read = (request) => {
      starts.push(clock.now());
      return read(request);
    };
    await clock.advance(50 + 150 * 10);
    expect(starts.length).toBe(11);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(150);
    // Slow answers within the timeout: still one at a time.
    primary.behaviour = 'slow';
    primary.slowMs = 150;
    starts.length = 0;
    await clock.advance(1000);
    expect(starts.length).toBeGreaterThan(0);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(150);
  });

  it('probes a store that fails at once no more often than every 50 ms', async () => {
    const { clock, primary, store } = setup({ probeBackoff: constant(0) });
    primary.behaviour = 'throw';
    store.acquire(acquireRequest(clock));
    const reads = primary.calls.read;
    await clock.advance(1000);
    expect(primary.calls.read - reads).toBe(20);
  });

  it('a failure of a call sent before the recovery does not begin a new outage', async () => {
    const { clock, primary, store, events } = setup({ callTimeoutMs: 250, probeBackoff: constant(100) });
    primary.behaviour = 'reject';
    await store.acquire(acquireRequest(clock));
    primary.behaviour = 'ok';
    // A call in flight when the store comes back fails afterwards.
    await clock.advance(100);
    expect(store.available).toBe(true);
    primary.behaviour = 'hang';
    const inFlight = store.acquire(acquireRequest(clock));
    await clock.advance(250);
    await inFlight;
    expect(events.map(([name]) => name)).toEqual(['unavailable', 'recovered', 'unavailable']);
  });

  it('close() stops probing', async () => {
    const { clock, primary, store } = setup();
    primary.behaviour = 'reject';
    await store.acquire(acquireRequest(clock));
    store.close();
    expect(clock.pendingTimers).toBe(0);
    const reads = primary.calls.read;
    await clock.advance(60_000);
    expect(primary.calls.read).toBe(reads);
  });
});
