import { isRateLimitedError, rateLimit, slidingWindow, tokenBucket } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { equal, isPending, ok, rejectsWith } from '../assert.js';
import type { Suite } from '../runner.js';

export function registerRateLimit(suite: Suite): void {
  const t = suite.group('rateLimit');

  t('reject mode: refuses beyond the bucket and says when to come back', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 2, per: 1_000 }), mode: 'reject', clock });
    equal(await policy.execute(() => 1), 1);
    equal(await policy.execute(() => 2), 2);
    const refused = await rejectsWith(
      policy.execute(() => 3),
      isRateLimitedError,
      'RateLimitedError',
    );
    equal(refused.retryAfterMs, 500);
    await clock.advance(500);
    equal(await policy.execute(() => 4), 4, 'a token came back');
  });

  t('wait mode: a call beyond the limit waits its turn', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: slidingWindow({ limit: 2, window: 1_000, segments: 10 }), clock });
    await policy.execute(() => 'a');
    await policy.execute(() => 'b');
    const third = policy.execute(() => 'c');
    await clock.advance(900);
    ok(await isPending(third), 'still inside the window');
    await clock.advance(100);
    equal(await third, 'c');
    await clock.runAll();
    equal(clock.pendingTimers, 0);
  });

  t('pause(ms) holds every caller until the pause ends', async () => {
    const clock = new VirtualClock();
    const policy = rateLimit({ limits: tokenBucket({ rate: 100 }), maxWait: 0, clock });
    await policy.pause(30_000);
    const refused = await rejectsWith(
      policy.execute(() => 'x'),
      isRateLimitedError,
      'RateLimitedError',
    );
    equal(refused.retryAfterMs, 30_000);
    await clock.advance(30_000);
    equal(await policy.execute(() => 'after'), 'after');
  });
}
