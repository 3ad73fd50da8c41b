import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adaptiveThrottle,
  BrokenCircuitError,
  BulkheadRejectedError,
  InvalidOptionError,
  isOverloadError,
  isThrottledError,
  RateLimitedError,
  type RejectedEvent,
  sleep,
  ThrottledError,
  TimeoutError,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

const overloaded = Object.assign(new Error('503 Service Unavailable'), { status: 503 });
const notFound = Object.assign(new Error('404 Not Found'), { status: 404 });

async function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}

describe('adaptiveThrottle: the SRE formula', () => {
  it('never throttles while the dependency accepts requests', async () => {
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random: () => 0 });
    for (let i = 0; i < 100; i++) await throttle.execute(() => 'ok');
    expect(throttle.stats()).toEqual({ requests: 100, accepts: 100, rejectionProbability: 0 });
  });

  it('computes max(0, (requests - k * accepts) / (requests + 1))', async () => {
    const throttle = adaptiveThrottle({ k: 2, clock: new VirtualClock(), random: () => 1 });
    for (let i = 0; i < 3; i++) await throttle.execute(() => 'ok');
    for (let i = 0; i < 7; i++) await settle(throttle.execute(() => Promise.reject(overloaded)));
    expect(throttle.stats()).toEqual({ requests: 10, accepts: 3, rejectionProbability: 4 / 11 });
    expect(throttle.rejectionProbability).toBe(4 / 11);
  });

  it('throttles with ThrottledError without calling fn, emitting rejected, when the draw falls below p', async () => {
    let draw = 0.99;
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random: () => draw, name: 'gemini' });
    const rejected: RejectedEvent[] = [];
    throttle.on('rejected', (e) => rejected.push(e));
    for (let i = 0; i < 9; i++) await settle(throttle.execute(() => Promise.reject(overloaded)));
    expect(throttle.rejectionProbability).toBe(9 / 10);
    let calls = 0;
    // 0.99 >= 0.9: sent.
    await settle(
      throttle.execute(() => {
        calls++;
        throw overloaded;
      }),
    );
    expect(calls).toBe(1);
    draw = 0.5;
    const error = await settle(throttle.execute(() => calls++));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(isThrottledError(error)).toBe(true);
    expect(calls).toBe(1);
    expect(rejected).toEqual([{ policy: 'gemini', reason: 'throttled' }]);
    // A throttled request counts as a request: the pressure keeps rising while the dependency refuses.
    expect(throttle.stats()).toMatchObject({ requests: 11, accepts: 0 });
  });

  it('recovers as accepted answers come back', async () => {
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random: () => 1 });
    for (let i = 0; i < 20; i++) await settle(throttle.execute(() => Promise.reject(overloaded)));
    expect(throttle.rejectionProbability).toBeGreaterThan(0.9);
    for (let i = 0; i < 20; i++) await throttle.execute(() => 'ok');
    expect(throttle.rejectionProbability).toBe(0);
  });

  it('forgets what left the window', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ window: 60_000, clock, random: () => 1 });
    for (let i = 0; i < 10; i++) await settle(throttle.execute(() => Promise.reject(overloaded)));
    await clock.advance(30_000);
    expect(throttle.rejectionProbability).toBe(10 / 11);
    await clock.advance(30_000);
    expect(throttle.stats()).toEqual({ requests: 0, accepts: 0, rejectionProbability: 0 });
  });

  it('lets a trickle of requests through even when everything is refused', async () => {
    let seed = 1;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random });
    let sent = 0;
    for (let i = 0; i < 2000; i++) {
      await settle(
        throttle.execute(() => {
          sent++;
          throw overloaded;
        }),
      );
    }
    // p tends to 1 but stays below it: the dependency still sees probes to detect recovery.
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(100);
  });
});

describe('adaptiveThrottle: what counts as accepted', () => {
  it('by default, an answer that is an ordinary error still counts as accepted', async () => {
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random: () => 0 });
    for (let i = 0; i < 50; i++) await settle(throttle.execute(() => Promise.reject(notFound)));
    expect(throttle.stats()).toEqual({ requests: 50, accepts: 50, rejectionProbability: 0 });
  });

  it('isOverloadError recognises timeouts, Bulwark rejections, 429/503 statuses and retry hints', () => {
    expect(isOverloadError(new TimeoutError(100))).toBe(true);
    expect(isOverloadError(new BrokenCircuitError())).toBe(true);
    expect(isOverloadError(new BulkheadRejectedError('full'))).toBe(true);
    expect(isOverloadError(new RateLimitedError(1000))).toBe(true);
    expect(isOverloadError(new ThrottledError())).toBe(true);
    expect(isOverloadError({ status: 429 })).toBe(true);
    expect(isOverloadError({ statusCode: 503 })).toBe(true);
    expect(isOverloadError(Object.assign(new Error('quota'), { retryAfterMs: 2000 }))).toBe(true);
    expect(isOverloadError(new InvalidOptionError('x', 'y'))).toBe(false);
    expect(isOverloadError(notFound)).toBe(false);
    expect(isOverloadError({ status: 500 })).toBe(false);
    expect(isOverloadError(new Error('plain'))).toBe(false);
    expect(isOverloadError('string')).toBe(false);
    expect(isOverloadError(null)).toBe(false);
  });

  it('a custom handle decides which errors are refusals', async () => {
    const throttle = adaptiveThrottle({
      clock: new VirtualClock(),
      random: () => 1,
      handle: (e) => (e as { status?: number }).status === 404,
    });
    await settle(throttle.execute(() => Promise.reject(notFound)));
    await settle(throttle.execute(() => Promise.reject(overloaded)));
    expect(throttle.stats()).toMatchObject({ requests: 2, accepts: 1 });
  });

  it('does not count a request the caller aborted', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ clock, random: () => 0 });
    const controller = new AbortController();
    const pending = throttle.execute((ctx) => sleep(1000, ctx.signal, clock), { signal: controller.signal });
    controller.abort(new Error('user left'));
    await expect(pending).rejects.toThrow('user left');
    expect(throttle.stats()).toMatchObject({ requests: 0, accepts: 0 });
  });

  it('emits success and failure for the calls it lets through', async () => {
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random: () => 1 });
    const seen: string[] = [];
    throttle.on('success', () => seen.push('success'));
    throttle.on('failure', (e) => seen.push(`failure:${(e.error as Error).message}`));
    await throttle.execute(() => 1);
    await settle(throttle.execute(() => Promise.reject(overloaded)));
    expect(seen).toEqual(['success', 'failure:503 Service Unavailable']);
  });
});

describe('adaptiveThrottle: options', () => {
  it.each([
    [{ k: 0.5 }],
    [{ k: Number.NaN }],
    [{ k: Number.POSITIVE_INFINITY }],
    [{ window: 0 }],
    [{ buckets: 0 }],
    [{ handle: 1 }],
    [{ random: 'x' }],
  ])('rejects %o at construction', (options) => {
    expect(() => adaptiveThrottle(options as never)).toThrow(InvalidOptionError);
  });

  it('has the SRE defaults', () => {
    const throttle = adaptiveThrottle();
    expect(throttle.k).toBe(2);
    expect(throttle.window).toBe(120_000);
  });
});

describe('adaptiveThrottle: concurrency and properties', () => {
  it('counts every one of 500 concurrent executions exactly once', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ clock, random: () => 1 });
    const runs = Array.from({ length: 500 }, (_, i) =>
      settle(
        throttle.execute(async (ctx) => {
          await sleep(i % 37, ctx.signal, clock);
          if (i % 5 === 0) throw overloaded;
          return i;
        }),
      ),
    );
    await clock.runAll();
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => o === overloaded)).toHaveLength(100);
    expect(throttle.stats()).toMatchObject({ requests: 500, accepts: 400 });
  });

  it('property: p stays in [0, 1), matches the formula over the window, and only a draw below p throttles', async () => {
    const stepArb = fc.record({
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 15_000 })),
      outcome: fc.constantFrom('ok', 'refused', 'answered-error'),
      draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 1.5, 2, 3),
        fc.integer({ min: 1, max: 12 }),
        fc.array(stepArb, { maxLength: 120 }),
        async (k, buckets, steps) => {
          const window = 10_000;
          let now = 0;
          let draw = 0;
          const clock = { now: () => now, setTimer: () => 0, clearTimer: () => {} };
          const throttle = adaptiveThrottle({ k, window, buckets, clock, random: () => draw });
          // Reference: every counted event with its time; a slice counts while entirely inside the window.
          const events: Array<{ t: number; accepted: boolean }> = [];
          const sliceOf = (t: number): number => Math.floor((t * buckets) / window);
          for (const step of steps) {
            now += step.dt;
            draw = step.draw;
            const newest = sliceOf(now);
            const live = events.filter((e) => sliceOf(e.t) > newest - buckets);
            const requests = live.length;
            const accepts = live.filter((e) => e.accepted).length;
            const expected = Math.max(0, (requests - k * accepts) / (requests + 1));
            const p = throttle.rejectionProbability;
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p).toBeLessThan(1);
            expect(p).toBeCloseTo(expected, 12);
            // Exact counts over the window are at least what the slices hold.
            const exact = events.filter((e) => e.t > now - window).length;
            expect(requests).toBeLessThanOrEqual(exact);
            let called = false;
            const result = await settle(
              throttle.execute(() => {
                called = true;
                if (step.outcome === 'ok') return 'ok';
                throw step.outcome === 'refused' ? overloaded : notFound;
              }),
            );
            if (draw < p) {
              expect(called).toBe(false);
              expect(result).toBeInstanceOf(ThrottledError);
              events.push({ t: now, accepted: false });
            } else {
              expect(called).toBe(true);
              events.push({ t: now, accepted: step.outcome !== 'refused' });
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('adaptiveThrottle with a misbehaving random source', () => {
  /** Fails 99 requests (p = 0.99), then counts how many of 200 more are throttled without reaching fn. */
  async function throttledOf200(random: () => unknown): Promise<number> {
    const odd = adaptiveThrottle({ clock: new VirtualClock(), random: random as () => number });
    for (let i = 0; i < 99; i++) await settle(odd.execute(() => Promise.reject(overloaded)));
    expect(odd.rejectionProbability).toBeGreaterThanOrEqual(0.99);
    let throttled = 0;
    for (let i = 0; i < 200; i++) {
      if (isThrottledError(await settle(odd.execute(() => Promise.reject(overloaded))))) throttled++;
    }
    return throttled;
  }

  it.each([
    ['NaN', () => Number.NaN],
    ['undefined', () => undefined],
    ['a string', () => '0.5'],
    ['an object', () => ({})],
  ])(
    'a draw of %s is replaced by a fair draw: the throttle still throttles at its rate',
    async (_name, random) => {
      // p >= 0.99 for every call: a fair draw throttles nearly all of them (never fewer than 150 of 200 in practice).
      expect(await throttledOf200(random)).toBeGreaterThan(150);
    },
  );

  it('a draw below 0 counts as 0 (throttled whenever p > 0) and one of 1 or more as just below 1 (never)', async () => {
    expect(await throttledOf200(() => -1)).toBe(200);
    expect(await throttledOf200(() => Number.NEGATIVE_INFINITY)).toBe(200);
    expect(await throttledOf200(() => 1)).toBe(0);
    expect(await throttledOf200(() => Number.POSITIVE_INFINITY)).toBe(0);
  });
});
