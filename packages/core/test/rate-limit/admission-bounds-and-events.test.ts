/**
 * The bounds of a wait (maxWait and a deadline, at their edges) and which events an admission reports: each
 * listener alone gets its events, a call admitted at once is never reported as queued, and a waiter refused
 * later is reported as rejected, not as a failure.
 */
import { describe, expect, it } from 'vitest';
import { isRateLimitCostError, rateLimit, smooth, tokenBucket } from '../../src/index.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';

describe('rate limit: the bounds of a wait', () => {
  it('accepts a wait of exactly maxWait', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 1 }), maxWait: 1000, clock });
    await policy.execute(() => 'first');
    const second = policy.execute(() => clock.now());
    await clock.runAll();
    await expect(second).resolves.toBe(1000);
  });

  it('keeps maxWait when the caller’s deadline is later', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 1 }), maxWait: 500, clock });
    await policy.execute(() => 'first');
    await expect(policy.execute(() => 'late', { deadline: 5000 })).rejects.toMatchObject({
      name: 'RateLimitedError',
      retryAfterMs: 1000,
    });
    expect(policy.waiting()).toBe(0);
  });

  it('keeps a waiter whose cost equals a new, smaller capacity', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 1, capacity: 3 }), clock });
    await policy.execute(() => 0, { cost: 3 });
    const fits = policy.execute(() => clock.now(), { cost: 2 });
    const tooBig = policy.execute(() => clock.now(), { cost: 3 });
    const tooBigFailed = expect(tooBig).rejects.toSatisfy(isRateLimitCostError);
    await flushMicrotasks();
    policy.setLimits(tokenBucket({ rate: 1, capacity: 2 }));
    await tooBigFailed;
    await clock.runAll();
    // With a capacity of 2, a cost of 2 needs an empty bucket: the backlog of 3 is gone at 3000.
    await expect(fits).resolves.toBe(3000);
  });
});

describe('rate limit: events', () => {
  it('reports success to a success listener alone, and failure to a failure listener alone', async () => {
    const clock = new VirtualClock();
    const succeeded = rateLimit({ limits: smooth({ rate: 2 }), clock });
    const successes: unknown[] = [];
    succeeded.on('success', (e) => successes.push(e));
    await succeeded.execute(() => 'a');
    const b = succeeded.execute(() => 'b');
    await clock.runAll();
    await b;
    expect(successes).toEqual([
      { policy: 'rateLimit', duration: 0 },
      { policy: 'rateLimit', duration: 500 },
    ]);

    const failed = rateLimit({ limits: smooth({ rate: 2 }), clock, name: 'failing' });
    const failures: unknown[] = [];
    failed.on('failure', (e) => failures.push(e));
    const error = new Error('boom');
    await expect(
      failed.execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(failures).toEqual([{ policy: 'failing', duration: 0, error }]);
  });

  it('reports no queued event for a call admitted at once while another key has callers waiting', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 1 }), clock });
    const queued: unknown[] = [];
    policy.on('queued', (e) => queued.push(e));
    const busy = [policy.execute(() => 'x0', { key: 'x' }), policy.execute(() => 'x1', { key: 'x' })];
    expect(queued).toEqual([{ policy: 'rateLimit', delay: 1000, position: 0, key: 'x' }]);
    let started = false;
    const shared = policy.execute(() => {
      started = true;
      return clock.now();
    });
    // Admitted on the spot: started before execute returned, with no queued event.
    expect(started).toBe(true);
    await expect(shared).resolves.toBe(0);
    expect(queued).toHaveLength(1);
    await clock.runAll();
    await Promise.all(busy);
  });

  it('reports a waiter refused by a later pause as rejected, not as a failure', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: smooth({ rate: 1 }), maxWait: 2000, clock });
    const failures: unknown[] = [];
    const rejected: unknown[] = [];
    policy.on('failure', (e) => failures.push(e));
    policy.on('rejected', (e) => rejected.push(e));
    await policy.execute(() => 'first');
    const waiting = policy.execute(() => 'second').catch((e: unknown) => e);
    await clock.advance(100);
    await policy.pause(5000);
    expect(await waiting).toMatchObject({ name: 'RateLimitedError', limit: 'paused', retryAfterMs: 5000 });
    expect(rejected).toEqual([
      { policy: 'rateLimit', reason: 'rateLimited', retryAfterMs: 5000, key: undefined },
    ]);
    expect(failures).toEqual([]);
  });

  it('reports a pause of one key with its key, and accepts a pause of 0 ms, which holds nobody back', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 10 }), mode: 'reject', clock });
    const paused: unknown[] = [];
    policy.on('paused', (e) => paused.push(e));
    await policy.pause(250, { key: 'tenant' });
    await policy.pause(0);
    expect(paused).toEqual([
      { policy: 'rateLimit', duration: 250, key: 'tenant' },
      { policy: 'rateLimit', duration: 0, key: undefined },
    ]);
    await expect(policy.execute(() => 'shared')).resolves.toBe('shared');
    await expect(policy.execute(() => 't', { key: 'tenant' })).rejects.toMatchObject({ retryAfterMs: 250 });
  });
});
