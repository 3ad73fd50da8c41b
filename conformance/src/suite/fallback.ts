import { fallback } from '@bulwark/core';
import { equal, rejectsWithValue } from '../assert.js';
import type { Suite } from '../runner.js';

export function registerFallback(suite: Suite): void {
  const t = suite.group('fallback');

  t('replaces an error with the fallback value', async () => {
    const policy = fallback({ fallback: (failure) => (failure.kind === 'error' ? 'cached' : 'other') });
    equal(await policy.execute(() => Promise.reject(new Error('down'))), 'cached');
    equal(await policy.execute(() => 'fresh'), 'fresh');
  });

  t('replaces a result handleResult rejects', async () => {
    const policy = fallback({ handleResult: (value) => value === null, fallback: () => 'default' });
    equal(await policy.execute(() => null), 'default');
  });

  t('an error its handle refuses passes through', async () => {
    const policy = fallback({ handle: (error) => !(error instanceof RangeError), fallback: () => 'x' });
    const error = new RangeError('bad');
    await rejectsWithValue(
      policy.execute(() => Promise.reject(error)),
      error,
    );
  });

  t('a caller abort is never replaced', async () => {
    const policy = fallback({ fallback: () => 'x' });
    const controller = new AbortController();
    const reason = new Error('abort');
    const result = policy.execute(() => new Promise(() => {}), { signal: controller.signal });
    controller.abort(reason);
    await rejectsWithValue(result, reason);
  });
}
