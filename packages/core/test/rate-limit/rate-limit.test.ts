import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  constant,
  InvalidOptionError,
  isInvalidOptionError,
  isRateLimitCostError,
  isRateLimitedError,
  MemoryRateLimitStore,
  pipeline,
  type RateLimitStore,
  type RateLimitedError,
  RateLimitCostError,
  rateLimit,
  retry,
  slidingWindow,
  smooth,
  timeout,
  tokenBucket,
  withCost,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { thrown } from '../support/helpers.js';

/** Runs `count` calls at once and records the clock time at which each one was admitted. */
function burst(
  policy: { execute: (fn: () => unknown) => Promise<unknown> },
  clock: VirtualClock,
  count: number,
) {
  const admitted: number[] = [];
  const results = Array.from({ length: count }, (_, i) =>
    policy.execute(() => {
      admitted[i] = clock.now();
      return i;
    }),
  );
  return { admitted, results };
}

describe('rate limit options', () => {
  it.each([
    [() => tokenBucket({ rate: 0 }), 'rate'],
    [() => tokenBucket({ rate: Number.NaN }), 'rate'],
    [() => tokenBucket({ rate: Infinity }), 'rate'],
    [() => tokenBucket({ rate: 1, per: -1 }), 'per'],
    [() => tokenBucket({ rate: 1, capacity: 0 }), 'capacity'],
    [() => tokenBucket({ rate: 1, unit: '' }), 'unit'],
    [() => tokenBucket(undefined as never), 'options'],
    [() => smooth({ rate: 1, burst: 0 }), 'burst'],
    [() => smooth({ rate: -3 }), 'rate'],
    [() => slidingWindow({ limit: 0, window: 1000 }), 'limit'],
    [() => slidingWindow({ limit: 1, window: 0 }), 'window'],
    [() => slidingWindow({ limit: 1, window: 1000, segments: 0 }), 'segments'],
    [() => slidingWindow({ limit: 1, window: 1000, segments: 2.5 }), 'segments'],
    [() => slidingWindow({ limit: 1, window: 1000, segments: 5000 }), 'segments'],
    [() => rateLimit({ limits: [] }), 'limits'],
    [() => rateLimit({ limits: {} as never }), 'limits[0]'],
    [() => rateLimit({ limits: tokenBucket({ rate: 1 }), mode: 'queue' as never }), 'mode'],
    [() => rateLimit({ limits: tokenBucket({ rate: 1 }), maxWait: -1 }), 'maxWait'],
    [() => rateLimit({ limits: tokenBucket({ rate: 1 }), maxWait: Number.NaN }), 'maxWait'],
    [() => rateLimit({ limits: tokenBucket({ rate: 1 }), cost: -1 }), 'cost'],
    [() => rateLimit({ limits: tokenBucket({ rate: 1 }), cost: { tokens: Number.NaN } }), 'cost.tokens'],
    [() => rateLimit({ limits: tokenBucket({ rate: 1 }), key: 42 as never }), 'key'],
    [() => rateLimit({ limits: tokenBucket({ rate: 1 }), store: {} as never }), 'store'],
  ])('case %# throws InvalidOptionError naming the option at construction', (build, option) => {
    const error = thrown(build);
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
  });

  it('refuses at construction a default cost no limit could ever admit', () => {
    const error = thrown(() => rateLimit({ limits: tokenBucket({ rate: 10, capacity: 5 }), cost: 6 }));
    expect(error).toBeInstanceOf(RateLimitCostError);
    expect(error).toMatchObject({ cost: 6, capacity: 5, limit: '10 cost/s' });
  });

  it('names limits after their numbers unless named', () => {
    expect(tokenBucket({ rate: 1000, per: 60_000, unit: 'calls' }).name).toBe('1000 calls/min');
    expect(smooth({ rate: 5 }).name).toBe('5 cost/s smooth');
    expect(slidingWindow({ limit: 10_000, window: 86_400_000 }).name).toBe('10000 cost/day');
    expect(slidingWindow({ limit: 3, window: 250, name: 'burst' }).name).toBe('burst');
  });
});

describe('token bucket', () => {
  it('admits a burst of capacity, then refills continuously at rate/per', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 2, per: 1000, capacity: 3 }), clock });
    const { admitted, results } = burst(policy, clock, 6);
    await clock.runAll();
    await Promise.all(results);
    expect(admitted).toEqual([0, 0, 0, 500, 1000, 1500]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('in reject mode refuses at once with RateLimitedError, retryAfterMs and the limit name', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 1, per: 1000, capacity: 2, name: 'rps' }),
      mode: 'reject',
      clock,
    });
    const rejected: unknown[] = [];
    policy.on('rejected', (event) => rejected.push(event));
    await policy.execute(() => 1);
    await policy.execute(() => 2);
    const error = (await policy.execute(() => 3).catch((e: unknown) => e)) as RateLimitedError;
    expect(isRateLimitedError(error)).toBe(true);
    expect(error.retryAfterMs).toBe(1000);
    expect(error.limit).toBe('rps');
    expect(error.key).toBeUndefined();
    expect(rejected).toEqual([
      { policy: 'rateLimit', reason: 'rateLimited', retryAfterMs: 1000, key: undefined },
    ]);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(999);
    await expect(policy.execute(() => 4)).rejects.toMatchObject({ retryAfterMs: 1 });
    await clock.advance(1);
    await expect(policy.execute(() => 5)).resolves.toBe(5);
  });

  it('reports fractional waits rounded up to whole milliseconds, never early', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 3, per: 1000, capacity: 1 }),
      mode: 'reject',
      clock,
    });
    await policy.execute(() => 1);
    await expect(policy.execute(() => 2)).rejects.toMatchObject({ retryAfterMs: 334 });
    await clock.advance(333);
    await expect(policy.execute(() => 3)).rejects.toMatchObject({ retryAfterMs: 1 });
    await clock.advance(1);
    await expect(policy.execute(() => 4)).resolves.toBe(4);
  });
});

describe('smooth (GCRA)', () => {
  it('spaces calls evenly with the default burst of 1', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 10, per: 1000 }), clock });
    const { admitted, results } = burst(policy, clock, 5);
    await clock.runAll();
    await Promise.all(results);
    expect(admitted).toEqual([0, 100, 200, 300, 400]);
  });

  it('lets `burst` calls through back to back after an idle spell', async () => {
    const clock = new VirtualClock(10_000);
    const policy = rateLimit({ limits: smooth({ rate: 10, per: 1000, burst: 3 }), clock });
    const { admitted, results } = burst(policy, clock, 5);
    await clock.runAll();
    await Promise.all(results);
    expect(admitted).toEqual([10_000, 10_000, 10_000, 10_100, 10_200]);
  });
});

describe('sliding window', () => {
  it('releases a burst exactly one window after it was used', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: slidingWindow({ limit: 3, window: 1000 }), clock });
    const { admitted, results } = burst(policy, clock, 7);
    await clock.runAll();
    await Promise.all(results);
    expect(admitted).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
  });

  it('releases usage spread over a segment with the segment’s latest use (never early)', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: slidingWindow({ limit: 2, window: 1000, segments: 10 }),
      mode: 'reject',
      clock,
    });
    await policy.execute(() => 'a'); // t = 0, segment 0
    await clock.advance(50);
    await policy.execute(() => 'b'); // t = 50, segment 0 too
    // Both count until the segment's latest use + window = 1050.
    await expect(policy.execute(() => 'c')).rejects.toMatchObject({ retryAfterMs: 1000 });
    await clock.advance(999);
    await expect(policy.execute(() => 'd')).rejects.toMatchObject({ retryAfterMs: 1 });
    await clock.advance(1);
    await expect(policy.execute(() => 'e')).resolves.toBe('e');
  });

  it('uses segments that left the window for nothing', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: slidingWindow({ limit: 2, window: 100, segments: 4 }),
      mode: 'reject',
      clock,
    });
    await policy.execute(() => 1);
    await clock.advance(30);
    await policy.execute(() => 2);
    await expect(policy.execute(() => 3)).rejects.toMatchObject({ retryAfterMs: 70 });
    await clock.advance(500);
    await policy.execute(() => 4);
    await policy.execute(() => 5);
    await expect(policy.execute(() => 6)).rejects.toMatchObject({ retryAfterMs: 100 });
  });
});

describe('several limits', () => {
  it('admits all or nothing: a refusal by one limit takes nothing from the others', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: [
        tokenBucket({ rate: 3, per: 1000, unit: 'calls', name: 'calls' }),
        tokenBucket({ rate: 100, per: 1000, unit: 'tokens', name: 'tokens' }),
      ],
      mode: 'reject',
      clock,
    });
    await policy.execute(() => 'a', { cost: { tokens: 80 } });
    // Refused by the tokens limit...
    await expect(policy.execute(() => 'b', { cost: { tokens: 80 } })).rejects.toMatchObject({
      limit: 'tokens',
    });
    await expect(policy.execute(() => 'c', { cost: { tokens: 80 } })).rejects.toMatchObject({
      limit: 'tokens',
    });
    // ...so the calls limit still has exactly two calls left.
    await policy.execute(() => 'd', { cost: { tokens: 10 } });
    await policy.execute(() => 'e', { cost: { tokens: 10 } });
    await expect(policy.execute(() => 'f', { cost: { tokens: 0 } })).rejects.toMatchObject({
      limit: 'calls',
    });
  });

  it('waits for the latest of the limits, and reports the limit that decided', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: [
        smooth({ rate: 10, unit: 'calls' }),
        slidingWindow({ limit: 3, window: 1000, unit: 'calls', name: 'rps' }),
      ],
      clock,
    });
    const { admitted, results } = burst(policy, clock, 5);
    await clock.runAll();
    await Promise.all(results);
    expect(admitted).toEqual([0, 100, 200, 1000, 1100]);
    const rejecting = rateLimit({ limits: policy.limits, mode: 'reject', clock });
    await rejecting.execute(() => 1);
    await expect(rejecting.execute(() => 2)).rejects.toMatchObject({ limit: '10 calls/s smooth' });
  });

  it("counts 1 per call on 'calls' limits whatever the cost, and the cost on the others", async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: [
        slidingWindow({ limit: 2, window: 60_000, unit: 'calls', name: 'rpm' }),
        slidingWindow({ limit: 1000, window: 60_000, name: 'tpm' }),
      ],
      mode: 'reject',
      clock,
    });
    await policy.execute(() => 1, { cost: 400 });
    await policy.execute(() => 2, { cost: 500 });
    await expect(policy.execute(() => 3, { cost: 1 })).rejects.toMatchObject({ limit: 'rpm' });
    const tokens = rateLimit({ limits: policy.limits[1]!, mode: 'reject', clock });
    await tokens.execute(() => 1, { cost: 999 });
    await expect(tokens.execute(() => 2, { cost: 2 })).rejects.toMatchObject({ limit: 'tpm' });
  });
});

describe('weighted costs', () => {
  it('fails at once with RateLimitCostError when a cost exceeds a limit’s capacity, taking nothing', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: [tokenBucket({ rate: 2, unit: 'calls' }), tokenBucket({ rate: 100, name: 'tpm' })],
      clock,
    });
    const error = await policy.execute(() => 'x', { cost: 101 }).catch((e: unknown) => e);
    expect(isRateLimitCostError(error)).toBe(true);
    expect(isInvalidOptionError(error)).toBe(true);
    expect(error).toMatchObject({ limit: 'tpm', cost: 101, capacity: 100 });
    expect(clock.pendingTimers).toBe(0);
    expect(policy.waiting()).toBe(0);
    // Nothing was taken: both calls of the calls limit are still there.
    const { admitted, results } = burst(policy, clock, 2);
    await Promise.all(results);
    expect(admitted).toEqual([0, 0]);
  });

  it('takes a per-call cost from execute(fn, { cost }) and from a cost function', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 10, capacity: 10 }), mode: 'reject', clock });
    await policy.execute(() => 1, { cost: 7 });
    await expect(policy.execute(() => 2, { cost: 4 })).rejects.toMatchObject({ retryAfterMs: 100 });
    await policy.execute(() => 3, { cost: 3 });

    const byAttempt = rateLimit({
      limits: tokenBucket({ rate: 10, capacity: 10 }),
      cost: (context) => (context.attempt === 0 ? 6 : 2),
      mode: 'reject',
      clock,
    });
    const policy2 = pipeline(retry({ maxAttempts: 3, backoff: constant(0), clock }), byAttempt);
    let attempts = 0;
    const failing = policy2.execute(() => {
      attempts++;
      throw new Error('flaky');
    });
    const failed = expect(failing).rejects.toThrow('flaky');
    await clock.runAll();
    await failed;
    // 6 + 2 + 2 = 10 tokens: the bucket is empty now.
    expect(attempts).toBe(3);
    await expect(byAttempt.execute(() => 'x')).rejects.toMatchObject({ retryAfterMs: 600 });
  });

  it('reads the cost attached with withCost, also through a pipeline, for every attempt', async () => {
    const clock = new VirtualClock();
    const limiter = rateLimit({ limits: tokenBucket({ rate: 100, capacity: 100 }), mode: 'reject', clock });
    const policy = pipeline(retry({ maxAttempts: 2, backoff: constant(0), clock }), limiter);
    let calls = 0;
    const result = policy.execute(
      withCost(() => {
        calls++;
        if (calls === 1) throw new Error('retry me');
        return 'done';
      }, 30),
    );
    await clock.runAll();
    expect(await result).toBe('done');
    // Two attempts of 30 each.
    await limiter.execute(() => 'fits', { cost: 40 });
    await expect(limiter.execute(() => 'no', { cost: 1 })).rejects.toMatchObject({ retryAfterMs: 10 });
  });

  it('rejects a missing function with an InvalidOptionError, with or without per-call options', async () => {
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }) });
    await expect(policy.execute(undefined as never)).rejects.toThrow(InvalidOptionError);
    await expect(policy.execute(undefined as never, { cost: 1 })).rejects.toThrow(InvalidOptionError);
  });

  it('fails a call with an invalid cost or key at call time with InvalidOptionError', async () => {
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }), cost: () => Number.NaN });
    await expect(policy.execute(() => 1)).rejects.toMatchObject({ option: 'cost' });
    const keyed = rateLimit({ limits: tokenBucket({ rate: 10 }), key: () => 5 as never });
    await expect(keyed.execute(() => 1)).rejects.toMatchObject({ option: 'key' });
    expect(() => withCost(() => 1, -1)).toThrow(expect.objectContaining({ option: 'cost' }));
    expect(() => withCost(() => 1, 1, { key: 3 as never })).toThrow(
      expect.objectContaining({ option: 'key' }),
    );
  });

  it('rejects, never throws, when execute options fail to read', async () => {
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }) });
    const broken = {
      get cost(): number {
        throw new Error('unreadable');
      },
    };
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = policy.execute(() => 1, broken);
    }).not.toThrow();
    await expect(pending).rejects.toThrow('unreadable');
    await expect(policy.execute(() => 1, { cost: 'x' as never })).rejects.toMatchObject({ option: 'cost' });
  });
});

describe('waiting', () => {
  it('refuses at once a call that cannot be admitted within maxWait, with the wait it would need', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 1 }), maxWait: 1500, clock });
    const first = policy.execute(() => 'a');
    const second = policy.execute(() => 'b'); // waits 1000
    let refusedAt: number | undefined;
    const third = policy
      .execute(() => 'c')
      .catch((e: unknown) => {
        refusedAt = clock.now();
        return e;
      }); // would wait 2000
    await Promise.resolve();
    await Promise.resolve();
    expect(await third).toMatchObject({ retryAfterMs: 2000 });
    expect(refusedAt).toBe(0);
    await clock.runAll();
    await expect(Promise.all([first, second])).resolves.toEqual(['a', 'b']);
  });

  it('maxWait 0 admits only what fits now', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 1 }), maxWait: 0, clock });
    await policy.execute(() => 1);
    await expect(policy.execute(() => 2)).rejects.toMatchObject({ retryAfterMs: 1000 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses at once a call whose admission would come after the caller’s deadline', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 1 }), clock });
    await policy.execute(() => 1);
    await expect(policy.execute(() => 2, { deadline: 999 })).rejects.toMatchObject({ retryAfterMs: 1000 });
    const admitted = policy.execute(() => clock.now(), { deadline: 1000 });
    await clock.runAll();
    await expect(admitted).resolves.toBe(1000);
  });

  it('is FIFO: a big request is not overtaken by small ones arriving later', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 10, capacity: 10 }), clock });
    await policy.execute(() => 'drain', { cost: 10 });
    const order: string[] = [];
    const big = policy.execute(() => order.push(`big@${clock.now()}`), { cost: 10 });
    const smalls: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      await clock.advance(100);
      // Each small one would fit on its own by now; it must wait behind the big one.
      smalls.push(policy.execute(() => order.push(`small${i}@${clock.now()}`), { cost: 1 }));
    }
    await clock.runAll();
    await Promise.all([big, ...smalls]);
    expect(order).toEqual([
      'big@1000',
      'small0@1100',
      'small1@1200',
      'small2@1300',
      'small3@1400',
      'small4@1500',
    ]);
  });

  it('tells each waiter its expected wait and position in a queued event', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 4 }), clock });
    const queued: unknown[] = [];
    policy.on('queued', (event) => queued.push(event));
    const { results } = burst(policy, clock, 3);
    expect(queued).toEqual([
      { policy: 'rateLimit', delay: 250, position: 0, key: undefined },
      { policy: 'rateLimit', delay: 500, position: 1, key: undefined },
    ]);
    expect(policy.waiting()).toBe(2);
    // Only the head waits on a timer.
    expect(clock.pendingTimers).toBe(1);
    await clock.runAll();
    await Promise.all(results);
  });

  it('an aborted waiter leaves at once with the signal’s reason; the ones behind move up', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 1, burst: 1 }), clock });
    const failures: unknown[] = [];
    policy.on('failure', (event) => failures.push(event));
    await policy.execute(() => 'first');
    const controller = new AbortController();
    let ran = false;
    const aborted = policy.execute(
      () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    const behind = policy.execute(() => clock.now());
    expect(policy.waiting()).toBe(2);
    expect(getEventListeners(controller.signal, 'abort').length).toBeGreaterThan(0);
    await clock.advance(10);
    const reason = new Error('gone');
    controller.abort(reason);
    expect(policy.waiting()).toBe(1);
    await expect(aborted).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(failures).toEqual([{ policy: 'rateLimit', error: reason, duration: 10 }]);
    await clock.runAll();
    // It takes the aborted caller's place: admitted at 1000 instead of 2000.
    await expect(behind).resolves.toBe(1000);
    expect(ran).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives the usage back when the caller aborts between admission and start', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    const controller = new AbortController();
    let armed = false;
    // Aborts in a microtask queued right when the store admits the waiter: after the admission, before the
    // waiter's continuation can start the function.
    const store: RateLimitStore = {
      acquire: (...args) => {
        const result = memory.acquire(...args);
        if (armed && result.admitted) queueMicrotask(() => controller.abort('late'));
        return result;
      },
      adjust: (...args) => memory.adjust(...args),
      pause: (...args) => memory.pause(...args),
      read: (...args) => memory.read(...args),
    };
    const policy = rateLimit({ limits: smooth({ rate: 1 }), store, clock });
    await policy.execute(() => 'first');
    armed = true;
    let ran = false;
    const waiting = policy
      .execute(
        () => {
          ran = true;
        },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    await clock.advance(1000);
    expect(await waiting).toBe('late');
    expect(ran).toBe(false);
    armed = false;
    // The usage went back: the next call is admitted now, not at 2000.
    await expect(policy.execute(() => clock.now())).resolves.toBe(1000);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const policy = rateLimit({ limits: tokenBucket({ rate: 1 }) });
    await expect(policy.execute(() => 1, { signal: AbortSignal.abort('no') })).rejects.toBe('no');
  });

  it('inside a pipeline, a wait that would outlast the timeout is refused at once, not timed out', async () => {
    const clock = new VirtualClock();
    const limiter = rateLimit({ limits: smooth({ rate: 1 }), clock });
    const policy = pipeline(timeout(300, { clock, resolution: 0 }), limiter);
    await limiter.execute(() => 'first');
    await expect(policy.execute(() => 'late')).rejects.toMatchObject({ retryAfterMs: 1000 });
    expect(limiter.waiting()).toBe(0);
    await clock.advance(800);
    const admitted = policy.execute(() => clock.now());
    await clock.runAll();
    await expect(admitted).resolves.toBe(1000);
  });

  it('refuses a waiter as soon as its wait grows past its deadline, and gives its place to the next', async () => {
    const clock = new VirtualClock();
    const memory = new MemoryRateLimitStore();
    const limiter = rateLimit({ limits: smooth({ rate: 1 }), store: memory, clock });
    const policy = pipeline(timeout(1500, { clock, resolution: 0 }), limiter);
    await limiter.execute(() => 'first');
    let refusedAt: number | undefined;
    const waiting = policy
      .execute(() => 'late')
      .catch((e: unknown) => {
        refusedAt = clock.now();
        return e;
      });
    await clock.advance(500);
    // Another process sharing the store takes the next slot behind this limiter's back.
    memory.adjust({
      scope: limiter.scope,
      key: '',
      deltas: [1],
      admission: { at: clock.now(), costs: [0], marks: [0] },
      now: clock.now(),
    });
    const behind = limiter.execute(() => clock.now());
    await clock.advance(1000);
    // At 1000 the store says 2000: past the 1500 deadline, so it is refused now rather than timed out later.
    expect(await waiting).toMatchObject({ name: 'RateLimitedError', retryAfterMs: 1000 });
    expect(refusedAt).toBe(1000);
    await clock.runAll();
    await expect(behind).resolves.toBe(2000);
    expect(limiter.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an abort through a pipeline ends a waiting call and frees its place', async () => {
    const clock = new VirtualClock();
    const limiter = rateLimit({ limits: smooth({ rate: 1 }), clock });
    const policy = pipeline(retry({ clock }), timeout(5000, { clock }), limiter);
    await limiter.execute(() => 'first');
    const controller = new AbortController();
    const waiting = policy.execute(() => 'never', { signal: controller.signal }).catch((e: unknown) => e);
    const behind = limiter.execute(() => clock.now());
    await clock.advance(100);
    controller.abort('cancelled');
    expect(await waiting).toBe('cancelled');
    await clock.runAll();
    await expect(behind).resolves.toBe(1000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('emits success and failure for executed calls, with durations including the wait', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 2 }), clock });
    const events: unknown[] = [];
    policy.on('success', (e) => events.push(['success', e]));
    policy.on('failure', (e) => events.push(['failure', e]));
    const a = policy.execute(() => 'a');
    const b = policy.execute(() => {
      throw new Error('b');
    });
    const bFailed = expect(b).rejects.toThrow('b');
    await clock.runAll();
    await a;
    await bFailed;
    expect(events).toEqual([
      ['success', { policy: 'rateLimit', duration: 0 }],
      ['failure', { policy: 'rateLimit', duration: 500, error: new Error('b') }],
    ]);
  });

  it('serves hundreds of simultaneous callers evenly, in order, with one timer', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 100 }), maxWait: Infinity, clock });
    const { admitted, results } = burst(policy, clock, 600);
    expect(policy.waiting()).toBe(599);
    expect(clock.pendingTimers).toBe(1);
    await clock.runAll();
    expect(await Promise.all(results)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(admitted).toEqual(Array.from({ length: 600 }, (_, i) => i * 10));
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborting hundreds of waiters at once releases every one and leaves nothing behind', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 10 }), maxWait: Infinity, clock });
    await policy.execute(() => 'first');
    const controllers = Array.from({ length: 300 }, () => new AbortController());
    const waiting = controllers.map((c, i) =>
      policy.execute(() => i, { signal: c.signal }).catch((e: unknown) => e),
    );
    expect(policy.waiting()).toBe(300);
    for (const [i, c] of controllers.entries()) if (i % 2 === 0) c.abort(`stop ${i}`);
    expect(policy.waiting()).toBe(150);
    await clock.runAll();
    const outcomes = await Promise.all(waiting);
    for (const [i, outcome] of outcomes.entries()) expect(outcome).toBe(i % 2 === 0 ? `stop ${i}` : i);
    // The survivors took the freed places: 150 calls at 100 ms spacing after the first.
    expect(clock.now()).toBe(15_000);
    expect(clock.pendingTimers).toBe(0);
    for (const c of controllers) expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });
});
