/** What a refusal says decided it: a limit (by name), a pause, or only the callers ahead in the line. */
import { describe, expect, it } from 'vitest';
import { isRateLimitedError, rateLimit, slidingWindow, tokenBucket } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

const limits = [
  slidingWindow({ limit: 5, window: 1000, unit: 'calls', name: 'calls/s' }),
  tokenBucket({ rate: 10, capacity: 10, unit: 'tokens', name: 'tokens/s' }),
];

describe('rate limit refusals', () => {
  it('names the limit that decided the wait, in the error, its message and the event', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits, maxWait: 300, clock });
    const rejected: unknown[] = [];
    policy.on('rejected', (e) => rejected.push(e));
    await policy.execute(() => 'all tokens', { cost: { tokens: 10 } });
    const error = await policy.execute(() => 'x', { cost: { tokens: 4 } }).catch((e: unknown) => e);
    expect(isRateLimitedError(error)).toBe(true);
    expect(error).toMatchObject({
      limit: 'tokens/s',
      retryAfterMs: 400,
      key: undefined,
      message: 'Rate limit exceeded (tokens/s)',
    });
    expect(rejected).toEqual([
      { policy: 'rateLimit', reason: 'rateLimited', retryAfterMs: 400, key: undefined },
    ]);
  });

  it('names no limit when only the line ahead keeps a caller past its deadline', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits, clock });
    await policy.execute(() => 'all tokens', { cost: { tokens: 10 } });
    // Waits for tokens until 500.
    const ahead = policy.execute(() => clock.now(), { cost: { tokens: 5 } });
    // Needs no token and has calls to spare, but comes after `ahead` (FIFO), too late for its deadline.
    const error = await policy
      .execute(() => 'x', { cost: { tokens: 0 }, deadline: 300 })
      .catch((e: unknown) => e);
    expect(isRateLimitedError(error)).toBe(true);
    expect(error).toMatchObject({ limit: undefined, retryAfterMs: 500, message: 'Rate limit exceeded' });
    await clock.runAll();
    await expect(ahead).resolves.toBe(500);
  });

  it('names the pause when a pause decided, for a caller already waiting too', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits, maxWait: 1000, clock });
    await policy.execute(() => 'all tokens', { key: 'k', cost: { tokens: 10 } });
    const waiting = policy.execute(() => 'x', { key: 'k', cost: { tokens: 1 } }).catch((e: unknown) => e); // 100
    await clock.advance(50);
    await policy.pause(2000, { key: 'k' });
    const expected = {
      limit: 'paused',
      key: 'k',
      retryAfterMs: 2000,
      message: 'Rate limit exceeded (paused)',
    };
    expect(await waiting).toMatchObject(expected);
    const error = await policy.execute(() => 'y', { key: 'k', cost: { tokens: 1 } }).catch((e: unknown) => e);
    expect(error).toMatchObject(expected);
    expect(policy.waiting()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
