import { describe, expect, it } from 'vitest';
import {
  isInvalidOptionError,
  pipeline,
  rateLimit,
  retry,
  constant,
  slidingWindow,
  smooth,
  tokenBucket,
  withCost,
} from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';

describe('pause (server feedback)', () => {
  it('makes new callers wait until the pause ends, and reports it', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }), clock });
    const paused: unknown[] = [];
    policy.on('paused', (event) => paused.push(event));
    await policy.pause(2000);
    expect(paused).toEqual([{ policy: 'rateLimit', duration: 2000, key: undefined }]);
    const admitted = policy.execute(() => clock.now());
    await clock.runAll();
    await expect(admitted).resolves.toBe(2000);
  });

  it('in reject mode refuses with the time left in the pause', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }), mode: 'reject', clock });
    await policy.pause(1500);
    await clock.advance(500);
    await expect(policy.execute(() => 1)).rejects.toMatchObject({ retryAfterMs: 1000, limit: 'paused' });
    await clock.advance(1000);
    await expect(policy.execute(() => 2)).resolves.toBe(2);
  });

  it('holds back callers already waiting, in order, so they do not all hit the server at once', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 10 }), clock });
    const admitted: number[] = [];
    const runs = [0, 1, 2, 3].map(() => policy.execute(() => admitted.push(clock.now())));
    await clock.advance(150); // two admitted (0, 100); two waiting (200, 300)
    await policy.pause(1000);
    await clock.runAll();
    await Promise.all(runs);
    // After the pause they resume at the limiter's own pace, not as a burst.
    expect(admitted).toEqual([0, 100, 1150, 1250]);
  });

  it('refuses at once the waiters that can no longer start within their maxWait', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 10 }), maxWait: 1000, clock });
    const outcomes: Array<[number, unknown]> = [];
    const runs = [0, 1, 2].map((i) =>
      policy
        .execute(() => i)
        .then(
          (v) => outcomes.push([clock.now(), v]),
          (e: { retryAfterMs: number }) => outcomes.push([clock.now(), e.retryAfterMs]),
        ),
    );
    await clock.advance(50);
    // Waiter 1 (arrived at 0) may start until 1000, waiter 2 too; the pause pushes both past that.
    await policy.pause(2000);
    await flushMicrotasks();
    expect(outcomes).toEqual([
      [0, 0],
      [50, 2000],
      [50, 2000],
    ]);
    await Promise.all(runs);
    expect(clock.pendingTimers).toBe(0);
  });

  it('pauses one key only when asked to', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }), mode: 'reject', clock });
    await policy.pause(1000, { key: 'gemini-pro' });
    await expect(policy.execute(() => 1, { key: 'gemini-pro' })).rejects.toMatchObject({
      retryAfterMs: 1000,
      key: 'gemini-pro',
    });
    await expect(policy.execute(() => 2, { key: 'gemini-flash' })).resolves.toBe(2);
    await expect(policy.execute(() => 3)).resolves.toBe(3);
  });

  it('never shortens a longer pause', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }), mode: 'reject', clock });
    await policy.pause(3000);
    await policy.pause(100);
    await expect(policy.execute(() => 1)).rejects.toMatchObject({ retryAfterMs: 3000 });
  });

  it.each([[-1], [Number.NaN], [Infinity], ['5' as never]])(
    'rejects pause(%s) with InvalidOptionError',
    (ms) => {
      const policy = rateLimit({ limits: tokenBucket({ rate: 10 }) });
      let error: unknown;
      try {
        void policy.pause(ms);
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionError(error)).toBe(true);
    },
  );
});

describe('reconcile and refund', () => {
  it('gives back the unused part of an estimate, admitting waiters at once', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 100, capacity: 100, unit: 'tokens' }), clock });
    const task = withCost(() => 'estimated', { tokens: 100 });
    await policy.execute(task);
    const waiter = policy.execute(() => clock.now(), { cost: { tokens: 50 } });
    expect(policy.waiting()).toBe(1);
    await clock.advance(10);
    await task.reconcile({ tokens: 40 });
    // 60 came back: the waiter (50) fits right now, at 10 ms instead of 500 ms.
    await expect(waiter).resolves.toBe(10);
    expect(clock.pendingTimers).toBe(0);
  });

  it('charges an underestimate at once, pushing waiters back (and refusing those past maxWait)', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 100, capacity: 100 }), maxWait: 1500, clock });
    const task = withCost(() => 'estimated', 100);
    await policy.execute(task);
    const first = policy.execute(() => clock.now(), { cost: 50 }); // 500
    const second = policy.execute(() => clock.now(), { cost: 50 }).catch((e: unknown) => e); // 1000
    // 60 more: first moves to 1100, second to 1600, past its maxWait: refused now.
    await task.reconcile(160);
    await clock.runAll();
    await expect(first).resolves.toBe(1100);
    expect(await second).toMatchObject({ name: 'RateLimitedError', retryAfterMs: 1600 });
  });

  it('refund() gives back all of it, the call included', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: [
        slidingWindow({ limit: 1, window: 60_000, unit: 'calls' }),
        slidingWindow({ limit: 100, window: 60_000, unit: 'tokens' }),
      ],
      mode: 'reject',
      clock,
    });
    const task = withCost(() => 'failed before reaching the server', { tokens: 100 });
    await policy.execute(task);
    await expect(policy.execute(() => 'x', { cost: { tokens: 1 } })).rejects.toMatchObject({
      name: 'RateLimitedError',
    });
    await task.refund();
    await expect(policy.execute(() => 'y', { cost: { tokens: 100 } })).resolves.toBe('y');
  });

  it('corrects an admission once; later corrections do nothing until the next admission', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 100, capacity: 100 }), mode: 'reject', clock });
    const task = withCost(() => 'ok', 50);
    await task.reconcile(0); // nothing admitted yet: no effect
    await policy.execute(task);
    await task.reconcile(10);
    await task.reconcile(0);
    await task.refund();
    // 100 - 10 used: 90 left, not 100.
    await expect(policy.execute(() => 1, { cost: 91 })).rejects.toMatchObject({ retryAfterMs: 10 });
    await policy.execute(() => 2, { cost: 90 });
  });

  it('never gives back what the bucket has already refilled (no burst beyond capacity)', async () => {
    const clock = new VirtualClock();
    // 1 token per ms, capacity 10.
    const policy = rateLimit({
      limits: tokenBucket({ rate: 10, per: 10, capacity: 10 }),
      mode: 'reject',
      clock,
    });
    const estimated = withCost(() => 'estimated', 10);
    await policy.execute(estimated); // bucket empty at 0
    await clock.advance(5); // 5 tokens refilled
    await policy.execute(() => 'a', { cost: 5 }); // empty again
    // The estimate was wrong: it used nothing. But 5 of its 10 tokens have already come back by refilling.
    await estimated.reconcile(0);
    await expect(policy.execute(() => 'b', { cost: 10 })).rejects.toMatchObject({ retryAfterMs: 5 });
    await policy.execute(() => 'c', { cost: 5 });
  });

  it('after refunding an earlier admission, a later one cannot give back what already refilled', async () => {
    const clock = new VirtualClock();
    // One token every 10 ms, capacity 6.
    const policy = rateLimit({ limits: tokenBucket({ rate: 100, capacity: 6 }), mode: 'reject', clock });
    const a = withCost(() => 'a', 1);
    const b = withCost(() => 'b', 2);
    await policy.execute(a);
    await policy.execute(b);
    // Giving a's token back moves b's share earlier: it is fully refilled by 20 ms.
    await a.refund();
    await clock.advance(20);
    await policy.execute(() => 'c', { cost: 6 });
    await b.refund();
    await expect(policy.execute(() => 'd', { cost: 1 })).rejects.toMatchObject({ retryAfterMs: 10 });
  });

  it('corrects a sliding window in the segment where the usage was recorded, until it leaves the window', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: slidingWindow({ limit: 10, window: 1000 }), mode: 'reject', clock });
    const task = withCost(() => 'x', 8);
    await policy.execute(task);
    await clock.advance(400);
    await policy.execute(() => 'y', { cost: 2 });
    await task.reconcile(3); // 5 back, at the segment of t = 0
    await policy.execute(() => 'z', { cost: 5 });
    await expect(policy.execute(() => 'no', { cost: 1 })).rejects.toMatchObject({ retryAfterMs: 600 });
    // At 1000 the first segment left the window: 3 come back.
    await clock.advance(600);
    await policy.execute(() => 'w', { cost: 2 });
    const late = withCost(() => 'late', 1);
    await policy.execute(late);
    await clock.advance(2000);
    // Long gone from the window: nothing to correct, nothing breaks.
    await late.reconcile(0);
    await late.reconcile(5);
  });

  it('corrects the latest attempt of a retried call', async () => {
    const clock = new VirtualClock();
    const limiter = rateLimit({ limits: tokenBucket({ rate: 100, capacity: 100 }), mode: 'reject', clock });
    const policy = pipeline(retry({ maxAttempts: 2, backoff: constant(0), clock }), limiter);
    let attempt = 0;
    const task = withCost(async () => {
      attempt++;
      if (attempt === 1) throw new Error('503');
      return 'ok';
    }, 40);
    const run = policy.execute(task);
    await clock.runAll();
    await run;
    await task.reconcile(10);
    // 40 (first attempt) + 10 (second, corrected) = 50 used.
    await expect(limiter.execute(() => 1, { cost: 51 })).rejects.toMatchObject({ retryAfterMs: 10 });
    await limiter.execute(() => 2, { cost: 50 });
  });

  it('corrects every limiter the call went through', async () => {
    const clock = new VirtualClock();
    const perModel = rateLimit({ limits: tokenBucket({ rate: 100, capacity: 100 }), mode: 'reject', clock });
    const perProject = rateLimit({
      limits: tokenBucket({ rate: 200, capacity: 200 }),
      mode: 'reject',
      clock,
    });
    const task = withCost(() => 'ok', 100);
    await pipeline(perProject, perModel).execute(task);
    await task.reconcile(20);
    await perModel.execute(() => 1, { cost: 80 });
    await perProject.execute(() => 2, { cost: 180 });
  });

  it('rejects a malformed actual cost with InvalidOptionError', async () => {
    const task = withCost(() => 1, 5);
    expect(() => task.reconcile(-1)).toThrow(expect.objectContaining({ option: 'cost' }));
    expect(() => task.reconcile({ tokens: Number.NaN })).toThrow(
      expect.objectContaining({ option: 'cost.tokens' }),
    );
  });
});
