/** A charge on a token bucket (withCost's reconcile above the estimate) counts from now once the bucket refilled. */
import { describe, expect, it } from 'vitest';
import { rateLimit, smooth, tokenBucket, withCost } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

describe('token bucket: charging an admission more', () => {
  it('after the bucket refilled, the charge empties it from now: nothing passes beyond the refill from then', async () => {
    const clock = new VirtualClock();
    // One token every 100 ms, up to 10.
    const policy = rateLimit({ limits: tokenBucket({ rate: 10, capacity: 10 }), mode: 'reject', clock });
    const task = withCost(() => 'estimated', 1);
    await policy.execute(task);
    await clock.advance(5000);
    // The call really took 11: 10 more, charged at 5000 on a full bucket, which is empty now.
    await task.reconcile(11);
    await expect(policy.execute(() => 'a')).rejects.toMatchObject({ retryAfterMs: 100 });
    await clock.advance(100);
    await expect(policy.execute(() => 'b')).resolves.toBe('b');
    await expect(policy.execute(() => 'c')).rejects.toMatchObject({ retryAfterMs: 100 });
  });

  it('on a partly refilled bucket, the charge counts after the usage still there', async () => {
    const clock = new VirtualClock();
    // One unit every 100 ms, 4 back to back after an idle spell.
    const policy = rateLimit({ limits: smooth({ rate: 10, burst: 4 }), mode: 'reject', clock });
    const task = withCost(() => 'estimated', 4);
    await policy.execute(task); // empty at 0, full again at 400
    await clock.advance(100); // 1 unit back
    await task.reconcile(6); // 2 more on the 3 units still used: 5, full again at 600
    await expect(policy.execute(() => 'a', { cost: 1 })).rejects.toMatchObject({ retryAfterMs: 200 });
    await clock.advance(200); // at 300: 3 units still used
    await expect(policy.execute(() => 'b', { cost: 2 })).rejects.toMatchObject({ retryAfterMs: 100 });
    await expect(policy.execute(() => 'c', { cost: 1 })).resolves.toBe('c');
  });
});
