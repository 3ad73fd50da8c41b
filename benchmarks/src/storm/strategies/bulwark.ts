/**
 * Bulwark in the storm: `withResilience(ai)` with its defaults, durations scaled. Per model that is a retry
 * (3 attempts, RetryInfo honoured, one retry budget per client), an adaptive concurrency limit holding the
 * overflow locally, and a 60 s attempt timeout; no breaker, as the storm's clients have no fallback model. And the
 * same with the latency-bounded profile of interactive callers (profiles.ts).
 */
import { deadlineSignal, exponential } from '@bulwark/core';
import { withResilience } from '@bulwark/gemini-adapter';
import { COMPLETION_FIRST, LATENCY_BOUNDED, type Profile } from '../profiles.js';
import { type ClientEnv, generate, geminiClient, type Strategy } from './types.js';

/**
 * Bulwark as a Gemini user gets it: `withResilience(ai)` with its defaults (the composition above, per model),
 * every duration scaled to the compressed scenario, and the caller's deadline passed on as a deadline signal;
 * the profile sets the concurrency limit's queueing.
 */
function bulwarkStrategy(profile: Profile, label: string, description: string): Strategy {
  return {
    id: `bulwark${profile.id}`,
    label,
    description,
    create(env: ClientEnv) {
      const s = env.scale;
      const { maxWait = 60_000, backlogOrder } = profile.concurrency;
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
        concurrency: {
          maxWait: maxWait * s,
          initialRtt: 1_000 * s,
          ...(backlogOrder === undefined ? {} : { backlogOrder }),
        },
        random: env.random,
      });
      return {
        call: (signal, deadline) =>
          generate(ai, env, deadlineSignal(Math.max(0, deadline - Date.now()), { signal })),
      };
    },
  };
}

export const bulwarkPipeline: Strategy = bulwarkStrategy(
  COMPLETION_FIRST,
  'Bulwark withResilience',
  'withResilience(ai) defaults: per model retry(3 attempts, 200 ms decorrelated backoff, RetryInfo hints, shared retryBudget), adaptiveConcurrency, timeout(60 s); no breaker without a fallback model.',
);

export const bulwarkInteractive: Strategy = bulwarkStrategy(
  LATENCY_BOUNDED,
  'Bulwark withResilience, latency-bounded',
  "the same with concurrency: { maxWait: 2 s, backlogOrder: 'newestFirst' }: a call waits at most 2 s for a slot (per attempt), a backlog serves the newest call first.",
);
