/**
 * Where a call's key and cost come from, most specific first: execute's options or withCost, then the `key` and
 * `cost` functions, then the fixed options; a part left undefined falls through to the next.
 */
import { describe, expect, it } from 'vitest';
import { rateLimit, tokenBucket, withCost } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

describe('rate limit: a call’s key', () => {
  it('a fixed key option names every call’s key', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 1, capacity: 1 }),
      key: 'tenant',
      mode: 'reject',
      clock,
    });
    const rejected: unknown[] = [];
    policy.on('rejected', (e) => rejected.push(e));
    await policy.execute(() => 1);
    await expect(policy.execute(() => 2)).rejects.toMatchObject({ key: 'tenant', retryAfterMs: 1000 });
    expect(rejected).toEqual([
      { policy: 'rateLimit', reason: 'rateLimited', retryAfterMs: 1000, key: 'tenant' },
    ]);
    // Another key has its own usage.
    await expect(policy.execute(() => 3, { key: 'other' })).resolves.toBe(3);
  });

  it('a key function answering undefined puts the call on the shared key', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 1, capacity: 1 }),
      key: (context) => (context.attempt > 0 ? 'retries' : undefined),
      mode: 'reject',
      clock,
    });
    await expect(policy.execute(() => 1)).resolves.toBe(1);
    const error = await policy.execute(() => 2).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'RateLimitedError', key: undefined });
    // A call with the shared key by its options shares that usage.
    await expect(policy.execute(withCost(() => 3, 1))).rejects.toMatchObject({ key: undefined });
  });
});

describe('rate limit: a call’s cost', () => {
  it('withCost without a cost keeps the limiter’s cost function, and its key still applies', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 10, capacity: 10 }),
      cost: () => 4,
      mode: 'reject',
      clock,
    });
    await policy.execute(withCost(() => 'a', undefined, { key: 'k' }));
    await policy.execute(withCost(() => 'b', undefined, { key: 'k' }));
    // 8 of 10 taken on key k: a third call of 4 must wait 200 ms.
    await expect(policy.execute(withCost(() => 'c', undefined, { key: 'k' }))).rejects.toMatchObject({
      key: 'k',
      retryAfterMs: 200,
    });
    await expect(policy.execute(() => 'd')).resolves.toBe('d');
  });

  it('withCost without a cost keeps the limiter’s fixed cost', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({
      limits: tokenBucket({ rate: 10, capacity: 10 }),
      cost: 6,
      mode: 'reject',
      clock,
    });
    await policy.execute(withCost(() => 'a', undefined));
    await expect(policy.execute(withCost(() => 'b', undefined))).rejects.toMatchObject({ retryAfterMs: 200 });
  });

  it('a withCost task shows its cost and key', () => {
    const task = withCost(() => 1, { tokens: 5 }, { key: 'k' });
    expect(task.cost).toEqual({ tokens: 5 });
    expect(task.key).toBe('k');
    expect({ ...task }).toEqual({ cost: { tokens: 5 }, key: 'k' });
    const bare = withCost(() => 1, undefined);
    expect({ ...bare }).toEqual({ cost: undefined, key: undefined });
  });
});
