import fc from 'fast-check';
import { expect } from 'vitest';
import {
  type Clock,
  isRateLimitedError,
  MemoryRateLimitStore,
  type RateLimit,
  type RateLimitStore,
  rateLimit,
  slidingWindow,
  smooth,
  tokenBucket,
  withCost,
} from '../../src/index.js';
import type { AcquireResult } from '../../src/store.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';

/**
 * The store contract's stories, shared by core's contract test and by other stores' tests (the Redis store runs
 * them against a real server): a limiter told the same story on two stores must decide the same.
 */

/** The clock a story runs on: a VirtualClock, or one that also waits for a store's I/O between timers. */
export type StoryClock = Clock & Pick<VirtualClock, 'advance' | 'runAll' | 'pendingTimers'>;

/** How a story moves: its clock, and how to let everything pending (continuations, a store's I/O) run. */
export interface StoryHarness {
  clock(): StoryClock;
  settle(): Promise<void>;
}

export const virtualHarness: StoryHarness = { clock: () => new VirtualClock(), settle: flushMicrotasks };

/**
 * A store with a clock of its own, as a server's would be: it ignores the callers' `now`, decides on its own time
 * (the callers' virtual clock shifted by `skew` ms) and reports that time, like a store running the algorithms in
 * a server-side script with the server's clock. Underneath, the memory store's algorithms.
 */
export function clockedStore(clock: Clock, skew: number, answer: 'sync' | 'async'): RateLimitStore {
  const memory = new MemoryRateLimitStore();
  const own = () => clock.now() + skew;
  // An asynchronous answer reads the request only when it settles: the contract lets it keep the request until then.
  const reply = <T>(decide: () => T): T | Promise<T> =>
    answer === 'sync' ? decide() : Promise.resolve().then(decide);
  return {
    acquire: (request) =>
      reply((): AcquireResult => {
        const at = own();
        const result = memory.acquire({ ...request, now: at });
        return result.admitted ? { admitted: true, at } : { ...result, at };
      }),
    adjust: (request) => reply(() => memory.adjust({ ...request, now: own() })),
    pause: (request) => reply(() => memory.pause({ ...request, now: own() })),
    read: (request) => reply(() => memory.read({ ...request, now: own() })),
  };
}

/** The memory store answering every call with a promise (one microtask later), as any remote store does. */
export function asyncMemoryStore(): RateLimitStore {
  const memory = new MemoryRateLimitStore();
  const later = <T>(answer: () => T) => Promise.resolve().then(answer);
  return {
    acquire: (request) => later(() => memory.acquire(request)),
    adjust: (request) => later(() => memory.adjust(request)),
    pause: (request) => later(() => memory.pause(request)),
    read: (request) => later(() => memory.read(request)),
  };
}

export type Outcome =
  | { readonly id: number; readonly admittedAt: number }
  | {
      readonly id: number;
      readonly refusedAt: number;
      readonly retryAfterMs: number | undefined;
      readonly limit?: string;
    }
  | { readonly id: number; readonly failedAt: number; readonly error: unknown };

export const STORY_LIMITS = [
  tokenBucket({ rate: 2, capacity: 3 }),
  slidingWindow({ limit: 9, window: 4000, segments: 4, unit: 'calls' }),
];

/**
 * A story told to a limiter: calls (some weighted, some withCost and reconciled, one aborted), a pause, on
 * `limits`. Returns every outcome and event, in the policy's clock.
 */
export async function story(
  limits: readonly RateLimit[],
  store: (clock: StoryClock) => RateLimitStore,
  harness: StoryHarness = virtualHarness,
) {
  const clock = harness.clock();
  const policy = rateLimit({ limits, maxWait: 3200, clock, store: store(clock) });
  const events: unknown[] = [];
  policy.on('queued', (e) => events.push(['queued', clock.now(), e]));
  policy.on('rejected', (e) => events.push(['rejected', clock.now(), e]));
  policy.on('paused', (e) => events.push(['paused', clock.now(), e]));
  const outcomes: Outcome[] = [];
  const pending: Promise<void>[] = [];
  const call = (id: number, cost: number, options: { key?: string; signal?: AbortSignal } = {}) => {
    const task = withCost(() => clock.now(), cost, { key: options.key });
    pending.push(
      policy.execute(task, { signal: options.signal }).then(
        async (admittedAt) => {
          outcomes.push({ id, admittedAt });
          // The server says the call took less: the limits get the difference back.
          if (cost > 1) await task.reconcile(1);
        },
        (error: unknown) => {
          if (isRateLimitedError(error)) {
            outcomes.push({
              id,
              refusedAt: clock.now(),
              retryAfterMs: error.retryAfterMs,
              limit: error.limit,
            });
          } else outcomes.push({ id, failedAt: clock.now(), error });
        },
      ),
    );
  };
  for (let id = 0; id < 6; id++) call(id, id % 3 === 2 ? 2 : 1);
  call(6, 1, { key: 'tenant' });
  const controller = new AbortController();
  call(7, 1, { signal: controller.signal });
  await harness.settle();
  await clock.advance(700);
  controller.abort('left');
  call(8, 2);
  await harness.settle();
  await clock.advance(300);
  await policy.pause(1200);
  call(9, 1);
  call(10, 1, { key: 'tenant' });
  call(11, 3);
  await clock.runAll();
  await Promise.all(pending);
  expect(policy.waiting()).toBe(0);
  expect(clock.pendingTimers).toBe(0);
  return { outcomes: outcomes.sort((a, b) => a.id - b.id), events };
}

/** Limits for random traffic: buckets, smooth limits and windows with a few segments. */
export const limitArb: fc.Arbitrary<RateLimit> = fc.oneof(
  fc
    .record({ rate: fc.integer({ min: 1, max: 5 }), per: fc.constantFrom(100, 300, 1000) })
    .map((o) => tokenBucket({ ...o, capacity: 3 })),
  fc.integer({ min: 1, max: 5 }).map((rate) => smooth({ rate, burst: 2 })),
  fc
    .record({
      limit: fc.integer({ min: 2, max: 6 }),
      window: fc.constantFrom(100, 250, 1000),
      segments: fc.constantFrom(1, 2, 5, 10),
    })
    .map((o) => slidingWindow(o)),
);

export interface TrafficOp {
  readonly at: number;
  readonly kind: 'call' | 'reconciled' | 'pause';
  readonly size: number;
  readonly key: string;
}

export const opArb: fc.Arbitrary<TrafficOp> = fc.record({
  at: fc.integer({ min: 0, max: 2000 }),
  kind: fc.constantFrom('call', 'call', 'call', 'reconciled', 'pause'),
  size: fc.integer({ min: 0, max: 2 }),
  key: fc.constantFrom('a', 'b'),
});

/** Plays random traffic through a limiter on `store`; returns what the limiter decided, in its clock. */
export async function playTraffic(
  limits: readonly RateLimit[],
  ops: readonly TrafficOp[],
  store: RateLimitStore,
  clock: StoryClock,
): Promise<unknown[]> {
  const policy = rateLimit({ limits, maxWait: 800, clock, store });
  const log: unknown[] = [];
  policy.on('queued', (e) => log.push(['queued', clock.now(), e.key, e.delay]));
  const pending: Promise<unknown>[] = [];
  ops.forEach((op, id) => {
    clock.setTimer(() => {
      if (op.kind === 'pause') {
        pending.push(policy.pause(op.size * 300, { key: op.key }));
        return;
      }
      const task = withCost(() => clock.now(), op.size, { key: op.key });
      pending.push(
        policy.execute(task).then(
          async (at) => {
            log.push([id, 'admitted', at]);
            if (op.kind === 'reconciled') await task.reconcile(op.size / 2);
          },
          (error: unknown) =>
            log.push([id, 'refused', clock.now(), isRateLimitedError(error) && error.retryAfterMs]),
        ),
      );
    }, op.at);
  });
  await clock.runAll();
  await Promise.all(pending);
  return log;
}
