/**
 * Two resilient SDK clients ("two processes") on one store, one fake server and one virtual clock; and stores to
 * share: core's in-memory one, and the same behind promises that settle a network turn later, as a remote store's.
 */
import { constant } from '@bulwark/core';
import { MemoryRateLimitStore, type RateLimitStore } from '@bulwark/core/store';
import { VirtualClock } from '@bulwark/core/testing';
import {
  type GeminiResilience,
  type GeminiResilienceOptions,
  resilienceOf,
  withResilience,
} from '../../src/index.js';
import { type FakeGemini, type FakeGeminiOptions, startFakeGemini } from '../../src/testing/index.js';
import { type Client, type Sdk, sdks } from './sdks.js';
import { recordEvents, START } from './harness.js';

export interface Side {
  readonly ai: Client;
  readonly engine: GeminiResilience;
  /** Every adapter event of this client, as [name, payload]. */
  readonly events: Array<[string, any]>;
}

export interface Pair {
  readonly fake: FakeGemini;
  readonly clock: VirtualClock;
  readonly a: Side;
  readonly b: Side;
  close(): Promise<void>;
}

export interface PairOptions {
  readonly store: RateLimitStore;
  /** Options of both clients (`project` defaults to 'demo'). */
  readonly options?: GeminiResilienceOptions;
  /** Options of the second client only, over `options`. */
  readonly optionsB?: GeminiResilienceOptions;
  readonly fake?: FakeGeminiOptions;
  readonly sdk?: Sdk;
}

/** Two SDK clients, each made resilient on its own, sharing `store`: what two processes of one service are. */
export async function twoClients(setup: PairOptions): Promise<Pair> {
  const clock = new VirtualClock(START);
  const fake = await startFakeGemini({ clock, ...setup.fake });
  const sdk = setup.sdk ?? sdks[0]!;
  const side = (extra?: GeminiResilienceOptions): Side => {
    const ai = withResilience(sdk.client(fake), {
      backoff: constant(1_000),
      concurrency: false,
      retryBudget: false,
      clock,
      store: setup.store,
      project: 'demo',
      ...setup.options,
      ...extra,
    });
    const engine = resilienceOf(ai);
    const events: Array<[string, any]> = [];
    recordEvents(engine, events);
    return { ai, engine, events };
  };
  return { fake, clock, a: side(), b: side(setup.optionsB), close: () => fake.close() };
}

/** The store calls an instrumented store received, by method. */
export type StoreCalls = Record<'acquire' | 'adjust' | 'pause' | 'read', number>;

/**
 * `inner` behind promises that settle a network turn later (a remote store's answers), counting the calls. The
 * request is read when the promise settles, as the contract allows (it is lent until then).
 */
export function asyncStore(inner: RateLimitStore, calls?: StoreCalls): RateLimitStore {
  const later = <T>(method: keyof StoreCalls, answer: () => T | PromiseLike<T>): Promise<T> => {
    if (calls) calls[method]++;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(answer);
  };
  return {
    acquire: (request) => later('acquire', () => inner.acquire(request)),
    adjust: (request) => later('adjust', () => inner.adjust(request)),
    pause: (request) => later('pause', () => inner.pause(request)),
    read: (request) => later('read', () => inner.read(request)),
  };
}

/** `inner`, answering as it does, counting the calls. */
export function countingStore(inner: RateLimitStore, calls: StoreCalls): RateLimitStore {
  return {
    acquire(request) {
      calls.acquire++;
      return inner.acquire(request);
    },
    adjust(request) {
      calls.adjust++;
      return inner.adjust(request);
    },
    pause(request) {
      calls.pause++;
      return inner.pause(request);
    },
    read(request) {
      calls.read++;
      return inner.read(request);
    },
  };
}

export const noCalls = (): StoreCalls => ({ acquire: 0, adjust: 0, pause: 0, read: 0 });

/** The stores every sharing test runs on: the in-memory one as it is, and behind promises. */
export const storeKinds: ReadonlyArray<readonly [string, (calls?: StoreCalls) => RateLimitStore]> = [
  ['an in-memory store', (calls) => countingStore(new MemoryRateLimitStore(), calls ?? noCalls())],
  ['an asynchronous store', (calls) => asyncStore(new MemoryRateLimitStore(), calls)],
];
