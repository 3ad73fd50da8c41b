import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constant,
  type GiveUpEvent,
  InvalidOptionError,
  RetryBudget,
  retry,
  retryBudget,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

/** Grants as many retries as the budget allows right now. */
function drain(budget: RetryBudget, max = 10_000): number {
  let granted = 0;
  while (granted < max && budget.tryAcquireRetry()) granted++;
  return granted;
}

function record(budget: RetryBudget, requests: number): void {
  for (let i = 0; i < requests; i++) budget.recordAttempt();
}

describe('retryBudget: allowance', () => {
  it('defaults to 10% of requests plus 1 retry per second of a 10 s window', () => {
    const clock = new VirtualClock(1_000_000);
    const budget = retryBudget({ clock });
    expect(budget.ratio).toBe(0.1);
    expect(budget.minRetriesPerSecond).toBe(1);
    expect(budget.window).toBe(10_000);
    expect(drain(budget)).toBe(10);
    record(budget, 200);
    expect(drain(budget)).toBe(20);
    expect(budget.stats()).toEqual({ requests: 200, retries: 30, available: 0 });
  });

  it('with no minimum, grants exactly ratio x requests', () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0.25, minRetriesPerSecond: 0, clock });
    expect(drain(budget)).toBe(0);
    record(budget, 3);
    expect(drain(budget)).toBe(0);
    record(budget, 1);
    expect(drain(budget)).toBe(1);
    record(budget, 40);
    expect(drain(budget)).toBe(10);
  });

  it('ratio 0 leaves only the minimum', () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0, minRetriesPerSecond: 0.5, window: 4000, clock });
    record(budget, 1000);
    expect(drain(budget)).toBe(2);
  });

  it('frees the allowance as retries leave the window, and forgets old requests', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0.5, minRetriesPerSecond: 0, window: 1000, buckets: 10, clock });
    record(budget, 10);
    expect(drain(budget)).toBe(5);
    await clock.advance(500);
    record(budget, 10);
    // 20 requests in the window, 5 retries already granted.
    expect(drain(budget)).toBe(5);
    // t = 1400: what happened at t=0 has left the window; left: 10 requests, 5 retries (t=500).
    await clock.advance(900);
    expect(budget.stats()).toMatchObject({ requests: 10, retries: 5, available: 0 });
    await clock.advance(600);
    expect(budget.stats()).toEqual({ requests: 0, retries: 0, available: 0 });
  });

  it('rounds against retrying at slice edges: a request only counts while its whole slice is in the window', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 1, minRetriesPerSecond: 0, window: 1000, buckets: 4, clock });
    await clock.advance(240);
    budget.recordAttempt(); // slice [0, 250)
    await clock.advance(750); // t = 990: the window (-10, 990] holds the request
    expect(budget.stats().requests).toBe(1);
    await clock.advance(10); // t = 1000: the request at 240 is still in (0, 1000] but its slice is not
    expect(budget.stats().requests).toBe(0);
    expect(budget.tryAcquireRetry()).toBe(false);
  });

  it('keeps its counts when the wall clock steps back', () => {
    let now = 50_000;
    const clock = { now: () => now, setTimer: () => 0, clearTimer: () => {} };
    const budget = retryBudget({ ratio: 0.5, minRetriesPerSecond: 0, clock });
    record(budget, 4);
    now = 10_000;
    record(budget, 4);
    expect(budget.stats()).toEqual({ requests: 8, retries: 0, available: 4 });
    expect(drain(budget)).toBe(4);
  });

  it.each([
    [{ ratio: -0.1 }],
    [{ ratio: 1.5 }],
    [{ ratio: Number.NaN }],
    [{ minRetriesPerSecond: -1 }],
    [{ minRetriesPerSecond: Number.POSITIVE_INFINITY }],
    [{ window: 0 }],
    [{ window: Number.POSITIVE_INFINITY }],
    [{ buckets: 0 }],
    [{ buckets: 2.5 }],
    [{ buckets: 5000 }],
  ])('rejects %o at construction', (options) => {
    expect(() => retryBudget(options)).toThrow(InvalidOptionError);
  });
});

describe('retryBudget: shared by retry policies', () => {
  it('caps the extra load of a failure storm across two retry policies', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ ratio: 0.1, minRetriesPerSecond: 1, window: 10_000, clock });
    const a = retry({ maxAttempts: 3, backoff: constant(10), budget, clock });
    const b = retry({ maxAttempts: 3, backoff: constant(10), budget, clock });
    const giveUps: GiveUpEvent[] = [];
    a.on('giveUp', (e) => giveUps.push(e));
    b.on('giveUp', (e) => giveUps.push(e));
    let calls = 0;
    const failing = (): Promise<never> => {
      calls++;
      return Promise.reject(new Error('down'));
    };
    const runs = Array.from({ length: 500 }, (_, i) =>
      (i % 2 ? a : b).execute(failing).catch(() => 'failed'),
    );
    await clock.runAll();
    expect(await Promise.all(runs)).toEqual(Array(500).fill('failed'));
    // Without the budget: 1500 calls. With it: 500 + 10% of 500 + 10 (minimum over the window).
    expect(calls).toBe(560);
    // 440 refused their first retry, the 60 retried ones their second.
    expect(giveUps.filter((e) => e.reason === 'budget')).toHaveLength(500);
  });

  it('lets a healthy service retry its occasional failure', async () => {
    const clock = new VirtualClock();
    const budget = retryBudget({ clock });
    const policy = retry({ maxAttempts: 2, backoff: constant(1), budget, clock });
    for (let i = 0; i < 50; i++) await policy.execute(() => 'ok');
    let first = true;
    const result = policy.execute(() => {
      if (first) {
        first = false;
        throw new Error('blip');
      }
      return 'recovered';
    });
    await clock.runAll();
    await expect(result).resolves.toBe('recovered');
  });
});

describe('retryBudget: properties', () => {
  type Op = { kind: 'request' | 'retry'; dt: number };
  const opArb = fc.record({
    kind: fc.constantFrom<'request' | 'retry'>('request', 'retry'),
    // Mostly small steps, some near a window length (edges of slices and windows), some long gaps.
    dt: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 900, max: 1100 }),
      fc.integer({ min: 0, max: 12_000 }),
    ),
  });
  const configArb = fc.record({
    ratio: fc.constantFrom(0, 0.05, 0.1, 0.2, 0.5, 1),
    minRetriesPerSecond: fc.constantFrom(0, 0.1, 0.5, 1, 3),
    window: fc.constantFrom(1000, 3000, 10_000),
    buckets: fc.integer({ min: 1, max: 20 }),
  });

  it('never grants more than ratio x requests + minimum over the window ending at any grant, and is at most one slice strict', () => {
    fc.assert(
      fc.property(configArb, fc.array(opArb, { maxLength: 200 }), (config, ops: Op[]) => {
        let now = 0;
        const clock = { now: () => now, setTimer: () => 0, clearTimer: () => {} };
        const budget = new RetryBudget({ ...config, clock });
        const { ratio, window, buckets } = config;
        const reserve = (config.minRetriesPerSecond * window) / 1000;
        const slice = window / buckets;
        const requests: number[] = [];
        const grants: number[] = [];
        const count = (times: number[], from: number, to: number): number =>
          times.filter((t) => t > from && t <= to).length;
        for (const op of ops) {
          now += op.dt;
          if (op.kind === 'request') {
            budget.recordAttempt();
            requests.push(now);
            continue;
          }
          const granted = budget.tryAcquireRetry();
          if (granted) {
            grants.push(now);
            // Safety: in (now - window, now], grants <= ratio x requests + reserve.
            expect(count(grants, now - window, now)).toBeLessThanOrEqual(
              count(requests, now - window, now) * ratio + reserve + 1e-9,
            );
          } else {
            // Not stricter than the exact rule with the window shortened by one slice and stretched by one.
            const retries = count(grants, now - window - slice, now);
            expect(retries + 1).toBeGreaterThan(
              count(requests, now - window + slice, now) * ratio + reserve - 1e-9,
            );
          }
        }
        // Over any window-long interval [t, t + window): grants <= ratio x requests in (t - window, t + window) + reserve.
        for (const t of grants) {
          const inInterval = grants.filter((g) => g >= t && g < t + window).length;
          const base = requests.filter((r) => r > t - window && r < t + window).length;
          expect(inInterval).toBeLessThanOrEqual(base * ratio + reserve + 1e-9);
        }
      }),
      { numRuns: 500 },
    );
  });
});
