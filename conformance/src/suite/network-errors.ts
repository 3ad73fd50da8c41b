import { constant, retry } from '@bulwark/core';
import {
  handle,
  isAbortError,
  isTransientNetworkError,
  networkErrorCode,
  resilientFetch,
} from '@bulwark/http-status';
import { equal, ok, rejects } from '../assert.js';
import type { Suite } from '../runner.js';

/**
 * This runtime's own fetch failure, as http-status classifies it: every runtime words a refused connection its own
 * way (Node: a cause with code ECONNREFUSED; Bun: the code on the TypeError; Deno: a message; a browser: 'Failed to
 * fetch'; workerd: 'Network connection lost.'), and each must count as a transient network error.
 */
export function registerNetworkErrors(suite: Suite, refusedUrl: string): void {
  const t = suite.group('network errors');

  t("a refused connection is a transient network error in this runtime's words", async () => {
    const error = await rejects(fetch(refusedUrl), 'fetch to a closed port');
    const code = networkErrorCode(error);
    ok(code !== undefined, `not recognised: ${describe(error)}`);
    ok(isTransientNetworkError(error));
    ok(!isAbortError(error));
  });

  t('resilientFetch retries a refused GET (handle.retry), then fails with the network error', async () => {
    const policy = retry({ maxAttempts: 2, backoff: constant(1), handle: handle.retry });
    let retries = 0;
    policy.on('retry', () => retries++);
    const error = await rejects(resilientFetch(policy)(refusedUrl), 'a refused GET');
    equal(retries, 1, `retried once (${describe(error)})`);
    ok(isTransientNetworkError(error));
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}
