/**
 * Bulwark in the storm: `withResilience(ai)` with its defaults, durations scaled. Per model that is a retry
 * (3 attempts, RetryInfo honoured, one retry budget per client), an adaptive concurrency limit holding the
 * overflow locally, and a 60 s attempt timeout; no breaker, as the storm's clients have no fallback model.
 */
import { deadlineSignal, exponential } from '@bulwark/core';
import { withResilience } from '@bulwark/gemini-adapter';
import { type ClientEnv, generate, geminiClient, type Strategy } from './types.js';

/**
 * Bulwark as a Gemini user gets it: `withResilience(ai)` with its defaults (the composition above, per model),
 * every duration scaled to the compressed scenario, and the caller's deadline passed on as a deadline signal.
 */
export const bulwarkPipeline: Strategy = {
  id: 'bulwark',
  label: 'Bulwark withResilience',
  description:
    'withResilience(ai) defaults: per model retry(3 attempts, 200 ms decorrelated backoff, RetryInfo hints, shared retryBudget), adaptiveConcurrency, timeout(60 s); no breaker without a fallback model.',
  create(env: ClientEnv) {
    const s = env.scale;
    const ai = withResilience(geminiClient(env), {
      backoff: exponential({ initialDelay: 200 * s, maxDelay: 30_000 * s, random: env.random }),
      maxRetryDelay: 60_000 * s,
      attemptTimeout: 60_000 * s,
      totalTimeout: 300_000 * s,
      firstChunkTimeout: 60_000 * s,
      idleTimeout: 30_000 * s,
      maxQueueWait: 60_000 * s,
      failoverWait: 2_000 * s,
      retryBudget: { window: 10_000 * s, minRetriesPerSecond: 1 / s },
      concurrency: { maxWait: 60_000 * s, initialRtt: 1_000 * s },
      random: env.random,
    });
    return {
      call: (signal, deadline) =>
        generate(ai, env, deadlineSignal(Math.max(0, deadline - Date.now()), { signal })),
    };
  },
};
