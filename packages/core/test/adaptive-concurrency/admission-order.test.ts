/**
 * Who goes when at adaptiveConcurrency's door: below a limit of 1 a call that finds nobody waiting still waits for
 * the pace; a new call or a retry never jumps waiters; a retry waits out a pause; a retry into a free slot counts
 * as in flight, goes without the pace, and paces the waiters after it; the expected wait a queued event announces;
 * the deadline margin and the backlog's age at their boundaries; a layer that passes on an aborted context.
 */
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  constant,
  isThrottledError,
  type Next,
  type PolicyContext,
  PolicyBase,
  pipeline,
  type QueuedEvent,
  type RejectedEvent,
  RUN,
  retry,
  sleep,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { notFound, overloaded, stateOf, timedWork as work } from '../support/helpers.js';

/** A function that records when it starts, then takes `ms` and settles with `error` or 'ok'. */
function timed(clock: VirtualClock, starts: number[], ms: number, error?: unknown) {
  return async (ctx: { signal: AbortSignal }) => {
    starts.push(clock.now());
    await sleep(ms, ctx.signal, clock);
    if (error !== undefined) throw error;
    return 'ok';
  };
}

describe('adaptiveConcurrency: admission', () => {
  it('below a limit of 1, a call that finds nobody waiting waits for the pace; one arriving when it is due goes at once', async () => {
    const clock = new VirtualClock();
    // Pace: one call per 100 / 0.5 = 200 ms, with a quarter of a service time (25 ms) of credit.
    const policy = adaptiveConcurrency({ initialLimit: 0.5, minLimit: 0.5, initialRtt: 100, clock });
    const queued: QueuedEvent[] = [];
    policy.on('queued', (e) => queued.push(e));
    const starts: number[] = [];
    const calls = [policy.execute(timed(clock, starts, 0, notFound())).catch(() => undefined)];
    await clock.advanceTo(100);
    calls.push(policy.execute(timed(clock, starts, 0, notFound())).catch(() => undefined));
    expect(queued).toEqual([{ policy: 'adaptiveConcurrency', position: 0, delay: 75 }]);
    await clock.advanceTo(375);
    calls.push(policy.execute(timed(clock, starts, 0, notFound())).catch(() => undefined));
    await clock.runAll();
    await Promise.all(calls);
    expect(starts).toEqual([0, 175, 375]);
    expect(queued).toHaveLength(1);
  });

  it('a new call does not go ahead of waiters the pace holds back, even with a slot free', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 4, maxLimit: 4, clock });
    await Promise.all([policy.execute(work(clock, 400)), clock.advance(400)]); // service time 400 ms
    const first = Array.from({ length: 4 }, () => policy.execute(work(clock, 400)));
    const starts: number[] = [];
    const waiting = Array.from({ length: 4 }, () => policy.execute(timed(clock, starts, 400)));
    // At 800 the first four end and two waiters leave; the others leave at 900 and 1 000, one per 100 ms. A call
    // arriving at 850, when two slots are free, waits behind them, and then for a slot (the first frees at 1 200).
    await clock.advanceTo(850);
    const lateStarts: number[] = [];
    const late = policy.execute(timed(clock, lateStarts, 400));
    await clock.runAll();
    await Promise.all([...first, ...waiting, late]);
    expect(starts).toEqual([800, 800, 900, 1_000]);
    expect(lateStarts).toEqual([1_200]);
  });

  it('the expected wait of a queued event counts the held slot that must come back first, from now', async () => {
    const clock = new VirtualClock(1_000);
    const policy = adaptiveConcurrency({ initialLimit: 2, minLimit: 2, maxLimit: 2, initialRtt: 100, clock });
    const queued: QueuedEvent[] = [];
    policy.on('queued', (e) => queued.push(e));
    // Two refusals hold both slots, until 1 100 and 1 120.
    const refused = [policy.execute(work(clock, 0, { error: overloaded() })).catch(() => undefined)];
    await clock.advanceTo(1_020);
    refused.push(policy.execute(work(clock, 0, { error: overloaded() })).catch(() => undefined));
    await clock.advanceTo(1_050);
    expect(policy.inFlight).toBe(2);
    const starts: number[] = [];
    const next = policy.execute(timed(clock, starts, 0));
    const behind = policy.execute(timed(clock, starts, 0));
    expect(queued).toEqual([
      { policy: 'adaptiveConcurrency', position: 0, delay: 50 },
      { policy: 'adaptiveConcurrency', position: 1 },
    ]);
    expect('delay' in queued[1]!).toBe(false);
    await clock.runAll();
    await Promise.all([...refused, next, behind]);
    expect(starts[0]).toBe(1_100);
  });

  it('sends a waiter whose time left is exactly the likely service time (smoothed plus two deviations)', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    // Two 300 ms samples: 300 + 2 x 112.5 = 525 ms are needed.
    await Promise.all([policy.execute(work(clock, 300)), clock.advance(300)]);
    const running = policy.execute(work(clock, 300));
    let sent = false;
    const exact = policy.execute(
      async () => {
        sent = true;
      },
      { deadline: clock.now() + 300 + 525 },
    );
    await clock.advance(300);
    await Promise.all([running, exact]);
    expect(sent).toBe(true);
  });

  it('sheds a waiter that could not finish before its deadline with ThrottledError saying so', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    await Promise.all([policy.execute(work(clock, 300)), clock.advance(300)]);
    const rejected: RejectedEvent[] = [];
    policy.on('rejected', (e) => rejected.push(e));
    const running = policy.execute(work(clock, 800));
    const doomed = policy.execute(() => 'never', { deadline: clock.now() + 1_000 }).catch((e: unknown) => e);
    await clock.advance(800);
    const error = await doomed;
    expect(isThrottledError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Request throttled client-side (adaptive concurrency): too little time left before its deadline to be served',
    );
    expect(rejected).toEqual([{ policy: 'adaptiveConcurrency', reason: 'throttled' }]);
    await running;
  });

  it('with backlogOrder newestFirst, a queue whose oldest call has waited exactly two service times is not yet backlogged', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, backlogOrder: 'newestFirst', clock });
    await Promise.all([policy.execute(work(clock, 10)), clock.advance(10)]); // service time 10 ms
    const order: string[] = [];
    const call = (id: string) => async (ctx: { signal: AbortSignal }) => {
      order.push(id);
      await sleep(10, ctx.signal, clock);
    };
    // The holder ends at 110 with an answer (the service time stays 10 ms); A has then waited 20 ms.
    const holder = policy.execute(work(clock, 100, { error: notFound() })).catch(() => undefined);
    await clock.advanceTo(90);
    const a = policy.execute(call('A'));
    await clock.advanceTo(100);
    const b = policy.execute(call('B'));
    await clock.runAll();
    await Promise.all([holder, a, b]);
    expect(order).toEqual(['A', 'B']);
  });

  it('a waiter’s patience counts from its arrival: its deadline ends the wait on a clock that does not start at 0', async () => {
    const clock = new VirtualClock(10_000);
    const policy = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    const running = policy.execute(work(clock, 5_000));
    const waiting = policy.execute(() => 'never', { deadline: 10_100 }).catch((e: unknown) => e);
    await clock.advanceTo(10_099);
    expect(await stateOf(waiting)).toBe('pending');
    await clock.advanceTo(10_100);
    const error = await waiting;
    expect(isThrottledError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Request throttled client-side (adaptive concurrency): waited 100 ms for a slot',
    );
    await clock.runAll();
    await running;
  });

  it('a layer that passes on a context its caller aborted gets the caller’s reason at once, nothing queued', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, clock });
    const queued: QueuedEvent[] = [];
    limiter.on('queued', (e) => queued.push(e));
    let open = (): void => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    /** A layer that waits for a gate, then calls the layers inside whatever happened meanwhile. */
    class Gated extends PolicyBase {
      async [RUN](context: PolicyContext, next: Next): Promise<unknown> {
        await gate;
        return next(context);
      }
    }
    const running = limiter.execute(work(clock, 1_000));
    const controller = new AbortController();
    let called = false;
    const late = pipeline(new Gated('gated'), limiter)
      .execute(
        () => {
          called = true;
        },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    open();
    await clock.advance(0);
    expect(await stateOf(late)).toBe('fulfilled');
    expect(await late).toBe(reason);
    expect(queued).toEqual([]);
    expect(limiter.queued).toBe(0);
    await clock.runAll();
    await running;
    expect(called).toBe(false);
    expect(limiter.inFlight).toBe(0);
  });
});

describe('adaptiveConcurrency: retries of an admitted call, at the door', () => {
  it('a retry does not go ahead of a call already waiting', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({
      initialLimit: 1,
      minLimit: 1,
      maxLimit: 1,
      initialRtt: 100,
      clock,
    });
    const attempts: number[] = [];
    let tries = 0;
    const retried = pipeline(retry({ maxAttempts: 2, backoff: constant(50), clock }), limiter).execute(
      async () => {
        attempts.push(clock.now());
        if (tries++ === 0) throw overloaded();
        return 'second';
      },
    );
    // The refusal holds the only slot until 100; this call waits for it from 10.
    await clock.advanceTo(10);
    const otherStarts: number[] = [];
    const other = limiter.execute(timed(clock, otherStarts, 100));
    await clock.runAll();
    expect(await retried).toBe('second');
    await other;
    expect(otherStarts).toEqual([100]);
    expect(attempts[0]).toBe(0);
    expect(attempts[1]).toBeGreaterThanOrEqual(200);
  });

  it('a retry waits out a pause another refusal’s delay hint set', async () => {
    const clock = new VirtualClock();
    const limiter = adaptiveConcurrency({ initialLimit: 10, initialRtt: 1, clock });
    const attempts: number[] = [];
    let tries = 0;
    const retried = pipeline(retry({ maxAttempts: 2, backoff: constant(50), clock }), limiter).execute(
      async () => {
        attempts.push(clock.now());
        if (tries++ === 0) throw overloaded();
        return 'second';
      },
    );
    // Another call is refused at 10 with a 200 ms hint: every dispatch pauses until 210.
    const hinted = limiter.execute(work(clock, 10, { error: overloaded(200) })).catch(() => undefined);
    await clock.runAll();
    expect(await retried).toBe('second');
    await hinted;
    expect(attempts).toEqual([0, 210]);
  });

  it('below a limit of 1, a retry into a free slot goes at once, without the pace, and counts as in flight', async () => {
    const clock = new VirtualClock();
    // The refusal lowers the limit to 0.5 and holds the slot for 10 ms; the pace would then let a call go only
    // at 17.5 (10 / 0.5 = 20 ms after the first, minus 2.5 ms of credit).
    const limiter = adaptiveConcurrency({ initialLimit: 1, minLimit: 0.5, initialRtt: 10, clock });
    const queued: QueuedEvent[] = [];
    limiter.on('queued', (e) => queued.push(e));
    const attempts: Array<[number, number]> = [];
    let tries = 0;
    const retried = pipeline(retry({ maxAttempts: 2, backoff: constant(12), clock }), limiter).execute(
      async () => {
        attempts.push([clock.now(), limiter.inFlight]);
        if (tries++ === 0) throw overloaded();
        return 'second';
      },
    );
    await clock.runAll();
    expect(await retried).toBe('second');
    expect(attempts).toEqual([
      [0, 1],
      [12, 1],
    ]);
    expect(queued).toEqual([]);
    expect(limiter.inFlight).toBe(0);
  });

  it('a retry into a free slot paces the calls that wait after it', async () => {
    const clock = new VirtualClock();
    // Pace: one call per 100 / 2 = 50 ms, with 25 ms of credit.
    const limiter = adaptiveConcurrency({
      initialLimit: 2,
      minLimit: 2,
      maxLimit: 2,
      initialRtt: 100,
      clock,
    });
    let tries = 0;
    const retried = pipeline(retry({ maxAttempts: 2, backoff: constant(200), clock }), limiter)
      .execute(async (ctx) => {
        if (tries++ === 0) throw overloaded();
        await sleep(10, ctx.signal, clock);
        throw notFound();
      })
      .catch(() => undefined);
    // The retry goes at 200 (its refusal's hold ended at 100), then this call takes the other slot.
    await clock.advanceTo(200);
    const other = limiter.execute(work(clock, 1_000));
    await clock.advanceTo(201);
    const starts: number[] = [];
    const waiting = limiter.execute(timed(clock, starts, 0));
    // The retry frees its slot at 210; the waiter leaves at the pace of the two calls sent at 200: 200 - 25 + 50
    // + 50.
    await clock.runAll();
    await Promise.all([retried, other, waiting]);
    expect(starts).toEqual([275]);
  });
});
