/**
 * A caller abort rejects every policy's execution at once with the signal's reason, even when the function
 * ignores its signal and settles later, and leaves no listener on the caller's signal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adaptiveThrottle,
  bulkhead,
  circuitBreaker,
  fallback,
  pipeline,
  rateLimit,
  retry,
  tokenBucket,
} from '../../src/index.js';
import { abortListeners, stateOf } from '../support/helpers.js';

const policies = {
  retry: () => retry(),
  circuitBreaker: () => circuitBreaker(),
  bulkhead: () => bulkhead({ maxConcurrent: 2 }),
  rateLimit: () => rateLimit({ limits: tokenBucket({ rate: 10, capacity: 10 }) }),
  fallback: () => fallback({ fallback: () => 'fallback' }),
  adaptiveThrottle: () => adaptiveThrottle(),
  pipeline: () => pipeline(retry(), circuitBreaker(), bulkhead({ maxConcurrent: 2 })),
};

describe.each(Object.entries(policies))('%s', (_name, make) => {
  it.each(['resolves', 'rejects'] as const)(
    'rejects with the abort reason when the function ignoring its signal later %s',
    async (ending) => {
      const policy = make();
      const controller = new AbortController();
      let finish!: () => void;
      const work = new Promise<string>((resolve, reject) => {
        finish = () => (ending === 'resolves' ? resolve('late value') : reject(new Error('late error')));
      });
      const running = policy.execute(() => work, { signal: controller.signal });
      expect(await stateOf(running)).toBe('pending');
      const reason = new Error('caller left');
      controller.abort(reason);
      await expect(running).rejects.toBe(reason);
      finish();
      await work.catch(() => {});
      expect(abortListeners(controller.signal)).toBe(0);
    },
  );

  it('leaves the result alone and no listener behind when nobody aborts', async () => {
    const policy = make();
    const controller = new AbortController();
    await expect(policy.execute(() => 'value', { signal: controller.signal })).resolves.toBe('value');
    expect(abortListeners(controller.signal)).toBe(0);
  });
});

describe('rejectOnAbort', () => {
  it('whatever the order of abort and settlement, the outcome is the first of the two', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.boolean(), async (abortFirst, succeeds) => {
        const controller = new AbortController();
        let settle!: () => void;
        const work = new Promise<string>((resolve, reject) => {
          settle = () => (succeeds ? resolve('v') : reject(new Error('e')));
        });
        const running = retry({ maxAttempts: 1 }).execute(() => work, { signal: controller.signal });
        const outcome = running.then(
          (v) => ({ ok: true, v }),
          (e: unknown) => ({ ok: false, e }),
        );
        if (abortFirst) controller.abort('stop');
        settle();
        await work.catch(() => {});
        if (!abortFirst) controller.abort('stop');
        const result = await outcome;
        if (abortFirst) expect(result).toEqual({ ok: false, e: 'stop' });
        else expect(result.ok).toBe(succeeds);
      }),
    );
  });
});
