import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Backoff,
  constant,
  type GiveUpEvent,
  InvalidOptionError,
  linear,
  pipeline,
  type RetryEvent,
  type RetryGate,
  retry,
  timeout,
} from '../../src/index.js';
import { seededRandom, VirtualClock } from '../../src/testing.js';
import { abortListeners, flaky, stateOf } from '../support/helpers.js';

function hinted(ms: number): Error & { retryAfterMs: number } {
  return Object.assign(new Error(`retry after ${ms}`), { retryAfterMs: ms });
}

describe('retry', () => {
  it('a 0 ms delay needs no timer: the retries run without the clock moving, yet asynchronously', async () => {
    const clock = new VirtualClock();
    const { fn, calls } = flaky(2, 'ok');
    const result = retry({ backoff: constant(0), clock }).execute(fn);
    expect(calls).toEqual([0]);
    await expect(result).resolves.toBe('ok');
    expect(calls).toEqual([0, 1, 2]);
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a caller abort during a 0 ms wait wins', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const { fn, calls } = flaky(5, 'ok');
    const policy = retry({ backoff: constant(0), clock });
    const result = policy.execute(fn, { signal: controller.signal });
    // The first attempt's rejection reaches retry on a microtask; abort right after the wait started.
    policy.on('retry', () => queueMicrotask(() => controller.abort('stop')));
    await expect(result).rejects.toBe('stop');
    expect(calls).toEqual([0]);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('makes maxAttempts attempts in total (default 3) and rethrows the last error', async () => {
    const clock = new VirtualClock();
    const { fn, calls } = flaky(10, 'never');
    const result = retry({ clock }).execute(fn);
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toThrow('fail 3');
    expect(calls).toEqual([0, 1, 2]);
  });

  it('succeeds on a later attempt and passes attempt numbers in the context', async () => {
    const clock = new VirtualClock();
    const { fn, calls } = flaky(2, 'ok');
    const result = retry({ maxAttempts: 5, backoff: constant(10), clock }).execute(fn);
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
    expect(calls).toEqual([0, 1, 2]);
  });

  it('waits the backoff delays between attempts', async () => {
    const clock = new VirtualClock();
    const starts: number[] = [];
    const result = retry({ maxAttempts: 4, backoff: constant(100), clock }).execute(() => {
      starts.push(clock.now());
      throw new Error('x');
    });
    result.catch(() => {});
    await clock.runAll();
    expect(starts).toEqual([0, 100, 200, 300]);
    await expect(result).rejects.toThrow('x');
  });

  it('uses exponential decorrelated jitter by default, with delays in [0, 30 s]', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 8, clock, random: seededRandom(7) });
    const delays: number[] = [];
    policy.on('retry', (e) => delays.push(e.delay));
    const result = policy.execute(() => Promise.reject(new Error('x')));
    result.catch(() => {});
    await clock.runAll();
    expect(delays).toHaveLength(7);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(0);
    for (const d of delays) expect(d).toBeLessThanOrEqual(30_000);
    expect(policy.backoff.delays(7, seededRandom(7))).toEqual(delays);
  });

  it('does not retry errors that handle() rejects', async () => {
    const clock = new VirtualClock();
    const { fn, calls } = flaky(5, 'ok', () => new TypeError('bad input'));
    const result = retry({ handle: (e) => !(e instanceof TypeError), clock }).execute(fn);
    await expect(result).rejects.toThrow(TypeError);
    expect(calls).toHaveLength(1);
  });

  it('retries results that handleResult() rejects and returns the last one on give-up', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const policy = retry({ maxAttempts: 3, backoff: constant(5), handleResult: (v) => v === 'busy', clock });
    const first = policy.execute(() => (++n < 3 ? 'busy' : 'done'));
    await clock.runAll();
    await expect(first).resolves.toBe('done');
    const second = policy.execute(() => 'busy');
    await clock.runAll();
    await expect(second).resolves.toBe('busy');
  });

  it("uses an error's retryAfterMs hint instead of the backoff delay", async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(10), clock });
    const events: RetryEvent[] = [];
    policy.on('retry', (e) => events.push(e));
    const { fn } = flaky(1, 'ok', () => hinted(1_500));
    const result = policy.execute(fn);
    await clock.advance(1_499);
    expect(await stateOf(result)).toBe('pending');
    await clock.advance(1);
    await expect(result).resolves.toBe('ok');
    expect(events[0]).toMatchObject({ attempt: 1, delay: 1_500, delaySource: 'hint' });
  });

  it('gives up at once when a hint exceeds maxDelay (e.g. a daily quota)', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxDelay: 60_000, clock });
    const giveUps: GiveUpEvent[] = [];
    policy.on('giveUp', (e) => giveUps.push(e));
    const { fn, calls } = flaky(5, 'ok', () => hinted(3_600_000));
    await expect(policy.execute(fn)).rejects.toMatchObject({ retryAfterMs: 3_600_000 });
    expect(calls).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    expect(giveUps[0]).toMatchObject({ reason: 'hintTooLong', attempts: 1 });
  });

  it("hintMode 'floor' waits the later of the hint and the backoff's delay", async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(500), hintMode: 'floor', maxAttempts: 4, clock });
    const events: RetryEvent[] = [];
    policy.on('retry', (e) => events.push(e));
    const hints = [0, 800, 100];
    let n = 0;
    const result = policy.execute(() => {
      if (n < hints.length) throw hinted(hints[n++]!);
      return 'ok';
    });
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
    expect(events.map((e) => [e.delay, e.delaySource])).toEqual([
      [500, 'backoff'],
      [800, 'hint'],
      [500, 'backoff'],
    ]);
    expect(clock.now()).toBe(1_800);
  });

  it("hintMode 'floor' still gives up at once on a hint longer than maxDelay", async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(500), hintMode: 'floor', maxDelay: 10_000, clock });
    const giveUps: GiveUpEvent[] = [];
    policy.on('giveUp', (e) => giveUps.push(e));
    const { fn, calls } = flaky(5, 'ok', () => hinted(60_000));
    await expect(policy.execute(fn)).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect(calls).toHaveLength(1);
    expect(giveUps[0]).toMatchObject({ reason: 'hintTooLong' });
  });

  it('refuses an unknown hintMode', () => {
    expect(() => retry({ hintMode: 'max' as never })).toThrow(InvalidOptionError);
  });

  it('accepts a custom delayHint and ignores invalid hints', async () => {
    const clock = new VirtualClock();
    const delays: number[] = [];
    const policy = retry({
      backoff: constant(7),
      clock,
      delayHint: ({ error }) => (error as { wait?: number }).wait,
    });
    policy.on('retry', (e) => delays.push(e.delay));
    let n = 0;
    const waits = [Number.NaN, 42];
    const result = policy.execute(() => {
      if (n < 2) throw Object.assign(new Error('x'), { wait: waits[n++] });
      return 'ok';
    });
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
    expect(delays).toEqual([7, 42]);
  });

  it('gives up instead of sleeping past the deadline given to execute()', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 10, backoff: constant(400), clock });
    const giveUps: GiveUpEvent[] = [];
    policy.on('giveUp', (e) => giveUps.push(e));
    const { fn, calls } = flaky(10, 'ok');
    const result = policy.execute(fn, { deadline: 1_000 });
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toThrow('fail 3');
    expect(calls).toHaveLength(3); // at 0, 400, 800; the next wait would end at 1200 > 1000
    expect(giveUps[0]).toMatchObject({ reason: 'deadline', attempts: 3 });
  });

  it('reads the deadline of an enclosing timeout', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      timeout(1_000, { clock, resolution: 0 }),
      retry({ maxAttempts: 10, backoff: constant(300), clock }),
    );
    const starts: number[] = [];
    const result = policy.execute(() => {
      starts.push(clock.now());
      return Promise.reject(new Error('down'));
    });
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toThrow('down');
    // The attempt at 900 fails and the next wait would end at 1200, past the 1000 deadline.
    expect(starts).toEqual([0, 300, 600, 900]);
  });

  it('rejects promptly with the abort reason when aborted during a backoff wait, and makes no further attempt', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const { fn, calls } = flaky(10, 'ok');
    const result = retry({ maxAttempts: 5, backoff: constant(10_000), clock }).execute(fn, {
      signal: controller.signal,
    });
    await clock.advance(100);
    expect(calls).toHaveLength(1);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
    await clock.runAll();
    expect(calls).toHaveLength(1);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('never retries after the caller aborted during an attempt, and rejects with the caller reason', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    let calls = 0;
    const result = retry({ clock }).execute(
      ({ signal }) =>
        new Promise((_, reject) => {
          calls++;
          signal.addEventListener('abort', () => reject(new Error('fetch aborted')), { once: true });
        }),
      { signal: controller.signal },
    );
    controller.abort('stop');
    await expect(result).rejects.toBe('stop');
    expect(calls).toBe(1);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('rejects at once with the reason when the signal is already aborted', async () => {
    let calls = 0;
    const result = retry().execute(
      () => {
        calls++;
      },
      { signal: AbortSignal.abort('early') },
    );
    await expect(result).rejects.toBe('early');
    expect(calls).toBe(0);
  });

  it('leaves no listener on the caller signal after success or failure', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const policy = pipeline(retry({ backoff: constant(1), clock }), timeout(1_000, { clock }));
    const ok = policy.execute(flaky(1, 'ok').fn, { signal: controller.signal });
    await clock.runAll();
    await expect(ok).resolves.toBe('ok');
    const bad = policy.execute(flaky(9, 'ok').fn, { signal: controller.signal });
    bad.catch(() => {});
    await clock.runAll();
    await expect(bad).rejects.toThrow();
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('emits retry, giveUp, success and failure events', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 2, backoff: constant(5), clock, name: 'api-retry' });
    const seen: string[] = [];
    policy.on('retry', (e) => seen.push(`retry:${e.policy}:${e.attempt}:${e.delay}`));
    policy.on('giveUp', (e) => seen.push(`giveUp:${e.reason}:${e.attempts}`));
    policy.on('success', () => seen.push('success'));
    policy.on('failure', (e) => seen.push(`failure:${(e.error as Error).message}`));
    const a = policy.execute(flaky(1, 'ok').fn);
    await clock.runAll();
    await a;
    const b = policy.execute(flaky(5, 'ok').fn);
    b.catch(() => {});
    await clock.runAll();
    await expect(b).rejects.toThrow();
    expect(seen).toEqual([
      'retry:api-retry:1:5',
      'success',
      'retry:api-retry:1:5',
      'giveUp:attempts:2',
      'failure:fail 2',
    ]);
  });

  it('turns a synchronous throw into a retried failure', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const result = retry({ backoff: constant(1), clock }).execute(() => {
      if (n++ === 0) throw new Error('sync');
      return 'ok';
    });
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
  });

  it('asks a retry budget before every retry and stops when it refuses', async () => {
    const clock = new VirtualClock();
    let allowed = 1;
    const log: string[] = [];
    const budget: RetryGate = {
      recordAttempt: () => log.push('attempt'),
      tryAcquireRetry: () => {
        log.push('ask');
        return allowed-- > 0;
      },
    };
    const policy = retry({ maxAttempts: 5, backoff: constant(1), clock, budget });
    const giveUps: GiveUpEvent[] = [];
    policy.on('giveUp', (e) => giveUps.push(e));
    const { fn, calls } = flaky(10, 'ok');
    const result = policy.execute(fn);
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toThrow('fail 2');
    expect(calls).toHaveLength(2);
    expect(log).toEqual(['attempt', 'ask', 'ask']);
    expect(giveUps[0]?.reason).toBe('budget');
  });

  it('supports Infinity attempts bounded by a deadline', async () => {
    const clock = new VirtualClock();
    const { fn, calls } = flaky(1_000, 'ok');
    const result = retry({ maxAttempts: Number.POSITIVE_INFINITY, backoff: constant(100), clock }).execute(
      fn,
      {
        deadline: 1_000,
      },
    );
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toThrow();
    expect(calls).toHaveLength(10);
  });

  it('rejects invalid options at construction', () => {
    const bad: unknown[] = [
      { maxAttempts: 0 },
      { maxAttempts: 1.5 },
      { maxAttempts: Number.NaN },
      { maxAttempts: -1 },
      { maxDelay: -1 },
      { maxDelay: Number.NaN },
      { handle: 'yes' },
      { handleResult: 1 },
      { delayHint: {} },
    ];
    for (const options of bad) expect(() => retry(options as never)).toThrow(InvalidOptionError);
    expect(() => retry({ backoff: {} as never })).toThrow(/backoff/);
  });

  it('property: attempts never exceed maxAttempts and waits follow the backoff', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 12 }),
        async (maxAttempts, failures) => {
          const clock = new VirtualClock();
          const { fn, calls } = flaky(failures, 'ok');
          const result = retry({ maxAttempts, backoff: constant(10), clock }).execute(fn);
          result.catch(() => {});
          await clock.runAll();
          const expectedCalls = Math.min(maxAttempts, failures + 1);
          expect(calls).toHaveLength(expectedCalls);
          expect(clock.now()).toBe((expectedCalls - 1) * 10);
          if (failures < maxAttempts) await expect(result).resolves.toBe('ok');
          else await expect(result).rejects.toThrow(`fail ${maxAttempts}`);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('retry with a deadline-carrying signal', () => {
  it('gives up instead of sleeping past the deadline of deadlineSignal()', async () => {
    const { deadlineSignal, deadlineOf } = await import('../../src/index.js');
    const clock = new VirtualClock(5_000);
    const signal = deadlineSignal(1_000, { clock });
    expect(deadlineOf(signal)).toBe(6_000);
    const { fn, calls } = flaky(10, 'ok');
    const result = retry({ maxAttempts: 10, backoff: constant(300), clock }).execute(fn, { signal });
    result.catch(() => {});
    await clock.advance(950);
    await expect(result).rejects.toThrow('fail 4');
    expect(calls).toHaveLength(4); // 0, 300, 600, 900; the next wait would end at 1200 > 1000
    await clock.runAll();
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(Error);
  });
});

describe('retry with a misbehaving backoff', () => {
  /** A hand-written Backoff whose every delay is `delay`. */
  function custom(delay: unknown, maxDelay: unknown = 1e9): Backoff {
    return {
      maxDelay: maxDelay as number,
      start: () => ({ next: () => delay as number }),
      delays: (count) => Array.from({ length: count }, () => delay as number),
    };
  }

  /** Runs one failing attempt and its retry; returns the retry's delay and when the second attempt started. */
  async function secondAttempt(backoff: Backoff, options: { maxDelay?: number } = {}) {
    const clock = new VirtualClock();
    const starts: number[] = [];
    const policy = retry({ maxAttempts: 2, backoff, clock, ...options });
    const delays: number[] = [];
    policy.on('retry', (event) => delays.push(event.delay));
    const result = policy.execute(() => {
      starts.push(clock.now());
      return starts.length === 1 ? Promise.reject(new Error('first')) : Promise.resolve('ok');
    });
    // Far past any sane cap: a hang shows as a missing second attempt.
    await clock.advance(10 * 60_000);
    return { delays, starts, state: await stateOf(result) };
  }

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a negative number', -5],
    ['a string', '100'],
    ['undefined', undefined],
    ['null', null],
    ['an object', {}],
  ])(
    'a delay that is %s is waited as the cap: the smaller of maxDelay and the backoff maxDelay',
    async (_name, bad) => {
      const own = await secondAttempt(custom(bad, 2_000), { maxDelay: 5_000 });
      expect(own.delays).toEqual([2_000]);
      expect(own.starts).toEqual([0, 2_000]);
      expect(own.state).toBe('fulfilled');
      // A custom backoff whose maxDelay is unusable: retry's maxDelay is the cap.
      const retries = await secondAttempt(custom(bad, Number.NaN), { maxDelay: 5_000 });
      expect(retries.delays).toEqual([5_000]);
      expect(retries.starts).toEqual([0, 5_000]);
    },
  );

  it('maxDelay caps every backoff delay: constant(1e308) waits maxDelay, not forever', async () => {
    const { delays, starts, state } = await secondAttempt(constant(1e308));
    expect(delays).toEqual([60_000]);
    expect(starts).toEqual([0, 60_000]);
    expect(state).toBe('fulfilled');
    const shorter = await secondAttempt(linear({ initialDelay: 50_000 }), { maxDelay: 1_000 });
    expect(shorter.starts).toEqual([0, 1_000]);
  });

  it('property: whatever a backoff yields, retry waits a delay in [0, cap]', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.anything(),
        fc.double({ min: 0, max: 500_000, noNaN: true }),
        async (value, maxDelay) => {
          const { delays, starts } = await secondAttempt(custom(value), { maxDelay });
          expect(delays).toHaveLength(1);
          const delay = delays[0]!;
          expect(delay >= 0 && delay <= maxDelay).toBe(true);
          expect(starts).toEqual([0, delay]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a backoff whose start() returns no sequence rejects with InvalidOptionError naming backoff', async () => {
    const broken = { maxDelay: 100, start: () => undefined, delays: () => [] } as unknown as Backoff;
    const clock = new VirtualClock();
    const result = retry({ maxAttempts: 2, backoff: broken, clock }).execute(() =>
      Promise.reject(new Error('x')),
    );
    await expect(result).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'backoff' });
  });
});
