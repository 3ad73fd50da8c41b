import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  constant,
  InvalidOptionError,
  isThrottledError,
  type LimitChangeEvent,
  type PausedEvent,
  pipeline,
  type QueuedEvent,
  type RejectedEvent,
  retry,
  sleep,
  timeout,
  TimeoutError,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { abortListeners, notFound, overloaded, stateOf, timedWork as work } from '../support/helpers.js';

async function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}

describe('adaptiveConcurrency: options', () => {
  it('has documented defaults', () => {
    const policy = adaptiveConcurrency();
    expect(policy.limit).toBe(20);
    expect(policy.minLimit).toBe(0.1);
    expect(policy.maxLimit).toBe(1000);
    expect(policy.backoffRatio).toBe(0.5);
    expect(policy.maxWait).toBe(60_000);
    expect(policy.maxQueue).toBe(Number.POSITIVE_INFINITY);
    expect(policy.initialRtt).toBe(1_000);
    expect(policy.maxPause).toBe(60_000);
    expect(policy.backlogOrder).toBe('deadline');
    expect(policy.name).toBe('adaptiveConcurrency');
  });

  it('clamps the default initial limit into [minLimit, maxLimit]', () => {
    expect(adaptiveConcurrency({ maxLimit: 5 }).limit).toBe(5);
    expect(adaptiveConcurrency({ minLimit: 30 }).limit).toBe(30);
  });

  it.each([
    ['minLimit', { minLimit: 0 }],
    ['minLimit', { minLimit: -1 }],
    ['minLimit', { minLimit: Number.NaN }],
    ['minLimit', { minLimit: Number.POSITIVE_INFINITY }],
    ['maxLimit', { maxLimit: 0 }],
    ['maxLimit', { maxLimit: 2.5 }],
    ['maxLimit', { minLimit: 10, maxLimit: 5 }],
    ['initialLimit', { initialLimit: 0.05 }],
    ['initialLimit', { initialLimit: 2000 }],
    ['initialLimit', { initialLimit: Number.NaN }],
    ['backoffRatio', { backoffRatio: 0 }],
    ['backoffRatio', { backoffRatio: 1 }],
    ['backoffRatio', { backoffRatio: '0.5' }],
    ['maxWait', { maxWait: -1 }],
    ['maxWait', { maxWait: Number.NaN }],
    ['maxQueue', { maxQueue: -1 }],
    ['maxQueue', { maxQueue: 1.5 }],
    ['initialRtt', { initialRtt: 0 }],
    ['maxPause', { maxPause: -5 }],
    ['maxPause', { maxPause: Number.POSITIVE_INFINITY }],
    ['handle', { handle: 'yes' }],
    ['backlogOrder', { backlogOrder: 'lifo' }],
  ])('rejects an invalid %s with InvalidOptionError', (option, options) => {
    let thrown: unknown;
    try {
      adaptiveConcurrency(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe(option);
  });

  it('accepts Infinity for maxWait, maxQueue and maxLimit', () => {
    const policy = adaptiveConcurrency({
      maxWait: Number.POSITIVE_INFINITY,
      maxLimit: Number.POSITIVE_INFINITY,
    });
    expect(policy.maxWait).toBe(Number.POSITIVE_INFINITY);
    expect(policy.maxLimit).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('adaptiveConcurrency: admission', () => {
  it('runs calls at once while slots are free, queues the rest and hands slots over in order', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 2, clock });
    const started: number[] = [];
    const queued: QueuedEvent[] = [];
    policy.on('queued', (e) => queued.push(e));
    const calls = [0, 1, 2, 3].map((i) =>
      policy.execute(async (ctx) => {
        started.push(i);
        await sleep(100, ctx.signal, clock);
        return i;
      }),
    );
    await clock.advance(0);
    expect(started).toEqual([0, 1]);
    expect(policy.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    expect(queued.map((e) => e.position)).toEqual([0, 1]);
    await clock.runAll();
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(policy.inFlight).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('serves waiters earliest deadline first, then first come', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, clock });
    const order: string[] = [];
    const call = (id: string) => async (ctx: { signal: AbortSignal }) => {
      order.push(id);
      await sleep(10, ctx.signal, clock);
    };
    const running = policy.execute(call('first'));
    const late = policy.execute(call('no deadline'));
    const later = policy.execute(call('deadline 5000'), { deadline: 5_000 });
    const soon = policy.execute(call('deadline 1000'), { deadline: 1_000 });
    const tie = policy.execute(call('deadline 1000 too'), { deadline: 1_000 });
    await clock.runAll();
    await Promise.all([running, late, later, soon, tie]);
    expect(order).toEqual(['first', 'deadline 1000', 'deadline 1000 too', 'deadline 5000', 'no deadline']);
  });

  it.each([
    ['newestFirst', ['warm-up', 'holder', 'C', 'B', 'A']],
    ['deadline', ['warm-up', 'holder', 'A', 'B', 'C']],
  ] as const)(
    'in a backlog (oldest waiter older than two service times) serves %s',
    async (backlogOrder, expected) => {
      const clock = new VirtualClock();
      const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, backlogOrder, clock });
      const order: string[] = [];
      const call = (id: string, ms: number) => async (ctx: { signal: AbortSignal }) => {
        order.push(id);
        await sleep(ms, ctx.signal, clock);
      };
      // A 10 ms call sets the service time; the next one holds the only slot for 500 ms.
      await Promise.all([policy.execute(call('warm-up', 10)), clock.runAll()]);
      const holder = policy.execute(call('holder', 500));
      const waiting: Promise<unknown>[] = [];
      for (const id of ['A', 'B', 'C']) {
        await clock.advance(10);
        waiting.push(policy.execute(call(id, 10)));
      }
      await clock.runAll();
      await Promise.all([holder, ...waiting]);
      expect(order).toEqual(expected);
    },
  );

  it('serves a queue that moves in deadline order even with backlogOrder newestFirst', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, backlogOrder: 'newestFirst', clock });
    const order: string[] = [];
    const call = (id: string) => async (ctx: { signal: AbortSignal }) => {
      order.push(id);
      await sleep(100, ctx.signal, clock);
    };
    await Promise.all([policy.execute(call('warm-up')), clock.runAll()]);
    // The oldest waiter has waited at most one service time when each slot frees: no backlog.
    const calls = ['first', 'A', 'B'].map((id) => policy.execute(call(id)));
    await clock.runAll();
    await Promise.all(calls);
    expect(order).toEqual(['warm-up', 'first', 'A', 'B']);
  });

  it('refuses with ThrottledError when the queue is full', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxQueue: 1, clock });
    const rejected: RejectedEvent[] = [];
    policy.on('rejected', (e) => rejected.push(e));
    const a = policy.execute(work(clock, 100));
    const b = policy.execute(work(clock, 100));
    const c = await settle(policy.execute(work(clock, 100)));
    expect(isThrottledError(c)).toBe(true);
    expect(rejected).toEqual([{ policy: 'adaptiveConcurrency', reason: 'throttled' }]);
    await clock.runAll();
    await Promise.all([a, b]);
  });

  it('gives up on a waiter after maxWait, and sooner at its deadline', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxWait: 500, clock });
    const rejected: RejectedEvent[] = [];
    policy.on('rejected', (e) => rejected.push(e));
    const running = policy.execute(work(clock, 10_000));
    const patient = policy.execute(work(clock, 1));
    const hurried = policy.execute(work(clock, 1), { deadline: 200 });
    await clock.advance(199);
    expect(await stateOf(hurried)).toBe('pending');
    await clock.advance(1);
    expect(isThrottledError(await settle(hurried))).toBe(true);
    expect(await stateOf(patient)).toBe('pending');
    await clock.advance(300);
    expect(isThrottledError(await settle(patient))).toBe(true);
    expect(rejected.map((e) => e.reason)).toEqual(['queueTimeout', 'queueTimeout']);
    expect(policy.queued).toBe(0);
    await clock.runAll();
    await running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a waiter with the caller’s reason when the caller aborts, and leaves nothing behind', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, clock });
    const running = policy.execute(work(clock, 100));
    const controller = new AbortController();
    let called = false;
    const waiting = policy.execute(
      () => {
        called = true;
      },
      { signal: controller.signal },
    );
    await clock.advance(10);
    expect(abortListeners(controller.signal)).toBeGreaterThan(0);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await settle(waiting)).toBe(reason);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(policy.queued).toBe(0);
    await clock.runAll();
    await running;
    expect(called).toBe(false);
    expect(policy.inFlight).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const policy = adaptiveConcurrency({ clock: new VirtualClock() });
    const reason = new Error('already');
    expect(await settle(policy.execute(() => 'x', { signal: AbortSignal.abort(reason) }))).toBe(reason);
  });

  it('does not send a waiter that could not finish before its deadline', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    // One success teaches it a 300 ms service time.
    await Promise.all([policy.execute(work(clock, 300)), clock.advance(300)]);
    expect(policy.stats().rtt).toBe(300);
    const running = policy.execute(work(clock, 800));
    let sent = false;
    const doomed = settle(
      policy.execute(
        () => {
          sent = true;
        },
        { deadline: clock.now() + 1_000 },
      ),
    );
    await clock.advance(800);
    // 200 ms left < 300 ms of service time: refused locally instead of wasting the dependency's capacity.
    expect(isThrottledError(await doomed)).toBe(true);
    expect(sent).toBe(false);
    await running;
  });
  it('keeps a margin of two mean deviations of the service time before a deadline', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    const timed = () => Promise.all([policy.execute(work(clock, 300)), clock.advance(300)]);
    /** Queues a waiter behind a 300 ms call, with `left` ms before its deadline once its turn comes. */
    const waiterWith = async (left: number): Promise<boolean> => {
      const running = policy.execute(work(clock, 300));
      let sent = false;
      const waiter = settle(
        policy.execute(
          async () => {
            sent = true;
          },
          { deadline: clock.now() + 300 + left },
        ),
      );
      await clock.advance(300);
      await running;
      await waiter;
      return sent;
    };
    // Two samples of 300 ms (the one above and the call ahead): the deviation starts at half the first sample, as
    // TCP's does, and is still 112.5 ms, so 300 + 2 x 112.5 = 525 ms are needed.
    await timed();
    expect(await waiterWith(500)).toBe(false);
    expect(await waiterWith(650)).toBe(true);
    // A service time that proved steady leaves a small margin: 350 ms left is enough for 300 ms.
    for (let i = 0; i < 20; i++) await timed();
    expect(await waiterWith(350)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('adaptiveConcurrency: the limit', () => {
  it('grows by one per success while in use before any overload (slow start), not while idle', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 2, clock });
    // One call at a time uses half of 2 slots: in use, so it grows.
    await Promise.all([policy.execute(work(clock, 10)), clock.advance(10)]);
    expect(policy.limit).toBe(3);
    // One call at a time is less than half of 3 slots: an untested limit does not grow.
    await Promise.all([policy.execute(work(clock, 10)), clock.advance(10)]);
    expect(policy.limit).toBe(3);
    // Three at once: the second and third were sent with at least half of the 3 slots busy.
    const calls = [1, 2, 3].map(() => policy.execute(work(clock, 10)));
    await clock.runAll();
    await Promise.all(calls);
    expect(policy.limit).toBe(5);
  });

  it('halves on an overload signal from what was in use, once per episode, and reports it', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 20, clock });
    const changes: LimitChangeEvent[] = [];
    const viaEvents: LimitChangeEvent[] = [];
    policy.onLimitChange((e) => changes.push(e));
    // The same change is a policy event, so a pipeline's on('limitChange') sees it too.
    pipeline(retry({ maxAttempts: 1 }), policy).on('limitChange', (e) => viaEvents.push(e));
    const error = overloaded();
    const calls = [0, 1, 2, 3].map((i) => settle(policy.execute(work(clock, 10 + i, { error }))));
    await clock.runAll();
    await Promise.all(calls);
    // 4 in use when the first refusal came: 4 x 0.5 = 2. The 3 others were sent before it: same episode.
    expect(policy.limit).toBe(2);
    expect(changes).toEqual([{ policy: 'adaptiveConcurrency', from: 20, to: 2, reason: 'decrease', error }]);
    expect(viaEvents).toEqual(changes);
  });

  it('ignores errors that are answers, and the caller’s own abort', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 4, clock });
    await Promise.all([settle(policy.execute(work(clock, 10, { error: notFound() }))), clock.advance(10)]);
    const controller = new AbortController();
    const aborted = settle(policy.execute(work(clock, 100), { signal: controller.signal }));
    await clock.advance(5);
    controller.abort(new Error('bye'));
    await aborted;
    expect(policy.limit).toBe(4);
    expect(policy.inFlight).toBe(0);
  });

  it('a custom handle decides what is an overload signal', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 4, clock, handle: (e) => e === 'busy' });
    await Promise.all([settle(policy.execute(work(clock, 1, { error: overloaded() }))), clock.advance(1)]);
    expect(policy.limit).toBe(4);
    await Promise.all([settle(policy.execute(work(clock, 1, { error: 'busy' }))), clock.advance(1_000)]);
    // One call in use when it was refused: 1 x 0.5.
    expect(policy.limit).toBe(0.5);
  });

  it('never goes below minLimit, and a limit below 1 spaces calls out by service time / limit', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, minLimit: 0.25, initialRtt: 100, clock });
    for (let i = 0; i < 4; i++) {
      const call = settle(policy.execute(work(clock, 0, { error: overloaded() })));
      await clock.runAll();
      await call;
    }
    expect(policy.limit).toBe(0.25);
    const starts: number[] = [];
    const calls = [0, 1, 2].map(() =>
      settle(
        policy.execute(async (ctx) => {
          starts.push(clock.now());
          await sleep(100, ctx.signal, clock);
          throw overloaded();
        }),
      ),
    );
    await clock.runAll();
    await Promise.all(calls);
    expect(policy.limit).toBe(0.25);
    // Still refused, so still at the floor: with a 100 ms service time, one call per 400 ms.
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(400);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(400);
    expect(clock.pendingTimers).toBe(0);
  });

  it('climbs back towards the level it fell from, halving the gap, then creeps', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 8, clock });
    const error = overloaded();
    const burst = Array.from({ length: 8 }, () => settle(policy.execute(work(clock, 10, { error }))));
    await clock.runAll();
    await Promise.all(burst);
    expect(policy.limit).toBe(4);
    const limits: number[] = [];
    for (let round = 0; round < 6; round++) {
      const calls = Array.from({ length: Math.floor(policy.limit) }, () => policy.execute(work(clock, 10)));
      await clock.runAll();
      await Promise.all(calls);
      limits.push(policy.limit);
    }
    // Each round trip of successes closes a good part of the gap to 8, then it creeps (never far past 8).
    expect(limits[0]).toBeGreaterThan(5);
    expect(limits[0]).toBeLessThan(6.5);
    expect(limits.at(-1)).toBeGreaterThan(7);
    expect(limits.at(-1)).toBeLessThan(8.5);
    for (let i = 1; i < limits.length; i++) expect(limits[i]).toBeGreaterThan(limits[i - 1]!);
  });

  it('climbs back at most one slot per round trip (a tenth of the limit above 10) to a level that was an overshoot', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 8, clock });
    const error = overloaded();
    const refuseAll = async () => {
      const calls = Array.from({ length: Math.floor(policy.limit) }, () =>
        settle(policy.execute(work(clock, 10, { error }))),
      );
      await clock.runAll();
      await Promise.all(calls);
    };
    const roundTrip = async () => {
      const calls = Array.from({ length: Math.floor(policy.limit) }, () => policy.execute(work(clock, 10)));
      await clock.runAll();
      await Promise.all(calls);
      return policy.limit;
    };
    await refuseAll();
    expect(policy.limit).toBe(4);
    // Probe past 8, the level of that decrease, until the dependency refuses again.
    while (policy.limit <= 8) await roundTrip();
    const overshoot = policy.limit;
    await refuseAll();
    const low = policy.limit;
    expect(low).toBe(Math.floor(overshoot) * 0.5);
    // Half the gap would be 2 slots in one round trip (past 5, as in the test above); towards an overshoot the
    // climb is additive: at most one slot per round trip, so three round trips do not close half the gap.
    const climbs: number[] = [];
    let before = low;
    for (let round = 0; round < 3; round++) {
      const after = await roundTrip();
      climbs.push(after - before);
      before = after;
    }
    for (const climb of climbs) {
      expect(climb).toBeGreaterThan(0);
      expect(climb).toBeLessThanOrEqual(1);
    }
    expect(low + climbs[0]!).toBeLessThan(5);
    expect(before - low).toBeLessThan((overshoot - low) / 2);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('adaptiveConcurrency: refusals and hints', () => {
  it('a refused call keeps its slot for one service time', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, initialRtt: 200, clock });
    const refused = settle(policy.execute(work(clock, 0, { error: overloaded() })));
    await clock.advance(0);
    await refused;
    expect(policy.inFlight).toBe(1);
    let startedAt = -1;
    const next = policy.execute(() => {
      startedAt = clock.now();
    });
    await clock.runAll();
    await next;
    expect(startedAt).toBe(200);
    expect(policy.inFlight).toBe(0);
  });

  it('a refusal with a delay hint pauses every dispatch, capped by maxPause', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 10, initialRtt: 1, maxPause: 5_000, clock });
    const paused: PausedEvent[] = [];
    policy.on('paused', (e) => paused.push(e));
    await Promise.all([
      settle(policy.execute(work(clock, 0, { error: overloaded(60_000) }))),
      clock.advance(1),
    ]);
    expect(paused).toEqual([{ policy: 'adaptiveConcurrency', duration: 5_000 }]);
    expect(policy.stats().paused).toBe(true);
    let startedAt = -1;
    const next = policy.execute(() => {
      startedAt = clock.now();
    });
    await clock.runAll();
    await next;
    expect(startedAt).toBe(5_000);
    expect(policy.stats().paused).toBe(false);
  });

  it('maxPause 0 ignores hints', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 10, maxPause: 0, clock });
    await Promise.all([
      settle(policy.execute(work(clock, 0, { error: overloaded(60_000) }))),
      clock.advance(1),
    ]);
    expect(policy.stats().paused).toBe(false);
  });

  it('paces waiting calls: slots freed together do not leave as a burst', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 4, maxLimit: 4, clock });
    await Promise.all([policy.execute(work(clock, 400)), clock.advance(400)]); // service time 400 ms
    const first = Array.from({ length: 4 }, () => policy.execute(work(clock, 400)));
    const starts: number[] = [];
    const second = Array.from({ length: 4 }, () =>
      policy.execute(async (ctx) => {
        starts.push(clock.now());
        await sleep(400, ctx.signal, clock);
      }),
    );
    await clock.runAll();
    await Promise.all([...first, ...second]);
    // The four slots free together at t = 800; the waiters leave one per 400 / 4 = 100 ms once the quarter
    // service time of catch-up credit is used.
    expect(starts).toEqual([800, 800, 900, 1000]);
  });
});

describe('adaptiveConcurrency: retries of an admitted call', () => {
  it('a lone failing call gets every attempt at its backoff pace: the limit its own refusals lowered does not hold its retries', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({ clock });
    const queued: QueuedEvent[] = [];
    limiter.on('queued', (e) => queued.push(e));
    const policy = pipeline(retry({ maxAttempts: 3, backoff: constant(50), clock }), limiter);
    const starts: number[] = [];
    const result = settle(
      policy.execute(() => {
        starts.push(clock.now());
        throw overloaded();
      }),
    );
    await clock.runAll();
    expect(await result).toMatchObject({ status: 503 });
    expect(starts).toEqual([0, 50, 100]);
    expect(queued).toEqual([]);
    // It still learnt from each refusal, and the last one still holds its slot for a service time.
    expect(limiter.limit).toBe(0.125);
    expect(limiter.inFlight).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a retry takes over the slot its refused attempt holds: the attempts of a call never hold two slots', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({
      initialLimit: 2,
      minLimit: 2,
      maxLimit: 2,
      initialRtt: 1_000,
      clock,
    });
    const inFlight: number[] = [];
    let attempts = 0;
    const retried = settle(
      pipeline(retry({ maxAttempts: 2, backoff: constant(50), clock }), limiter).execute(async (ctx) => {
        inFlight.push(limiter.inFlight);
        if (attempts++ === 0) throw overloaded();
        await sleep(100, ctx.signal, clock);
        return 'second';
      }),
    );
    // Another caller takes the other slot for a long time.
    const other = limiter.execute(work(clock, 5_000));
    await clock.advance(60);
    expect(inFlight).toEqual([1, 2]);
    await clock.runAll();
    expect(await retried).toBe('second');
    await other;
    expect(limiter.inFlight).toBe(0);
  });

  it('a retry waits like any call when running calls fill the limit', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({
      initialLimit: 1,
      minLimit: 1,
      maxLimit: 1,
      initialRtt: 100,
      clock,
    });
    let attempts = 0;
    const starts: number[] = [];
    const retried = settle(
      pipeline(retry({ maxAttempts: 2, backoff: constant(500), clock }), limiter).execute(() => {
        starts.push(clock.now());
        if (attempts++ === 0) throw overloaded();
        return 'second';
      }),
    );
    // The refusal's hold ends at 100; this call gets the slot then and keeps it until 1 100.
    const other = limiter.execute(work(clock, 1_000));
    await clock.runAll();
    expect(await retried).toBe('second');
    await other;
    expect(starts).toEqual([0, 1_100]);
  });

  it('says how long a call will wait when only timers hold it back (a held slot, the pace), not when calls run', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({ clock });
    const queued: QueuedEvent[] = [];
    limiter.on('queued', (e) => queued.push(e));
    // One refusal: the limit falls to 0.5, the slot is held for the 1 s service time, and calls leave one per
    // 1 000 / 0.5 = 2 000 ms (with a quarter service time of credit): the next call can leave at 1 750.
    await settle(limiter.execute(() => Promise.reject(overloaded())));
    let startedAt = -1;
    const next = limiter.execute(() => {
      startedAt = clock.now();
    });
    expect(queued).toEqual([{ policy: 'adaptiveConcurrency', position: 0, delay: 1_750 }]);
    // Behind it, the wait depends on the one ahead: unknown.
    const third = settle(limiter.execute(() => 'third'));
    expect(queued[1]).toEqual({ policy: 'adaptiveConcurrency', position: 1 });
    await clock.runAll();
    await next;
    await third;
    expect(startedAt).toBe(1_750);
    // A call waiting for a running call to finish: unknown too.
    const busy = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1, clock });
    const events: QueuedEvent[] = [];
    busy.on('queued', (e) => events.push(e));
    const running = busy.execute(work(clock, 100));
    const waiting = busy.execute(() => 'after');
    expect(events).toEqual([{ policy: 'adaptiveConcurrency', position: 0 }]);
    await clock.runAll();
    await Promise.all([running, waiting]);
  });
});

describe('adaptiveConcurrency in a pipeline', () => {
  it('under retry, retried attempts queue with their deadline; a timeout inside counts as overload', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({ initialLimit: 1, clock });
    const policy = pipeline(
      retry({ maxAttempts: 2, clock, random: () => 0.5, handle: () => true }),
      limiter,
      timeout(100, { clock, resolution: 0 }),
    );
    let calls = 0;
    const result = policy.execute(
      async (ctx) => {
        calls++;
        if (calls === 1) await sleep(1_000, ctx.signal, clock);
        return 'ok';
      },
      { deadline: 10_000 },
    );
    await clock.runAll();
    expect(await result).toBe('ok');
    expect(calls).toBe(2);
    expect(limiter.limit).toBe(1);
    expect(clock.pendingTimers).toBe(0);
    expect(new TimeoutError(100).code).toBe('TIMEOUT');
  });
});
