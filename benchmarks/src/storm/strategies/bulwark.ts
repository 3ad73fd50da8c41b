/**
 * Bulwark in the storm: `withResilience(ai)` with its defaults, durations scaled. `RECOMMENDED_COMPOSITION` says
 * what it runs per model in a few lines, `RECOMMENDED` holds the defaults in real time, and `recommendedPolicy()`
 * builds the same composition from core policies for clients other than Gemini's.
 */
import {
  type AdaptiveConcurrencyOptions,
  adaptiveConcurrency,
  type Clock,
  deadlineSignal,
  exponential,
  pipeline,
  type RandomSource,
  retry,
  retryBudget,
  timeout,
} from '@bulwark/core';
// The adapter's decision table: what it retries is also what the limiter takes as an overload signal.
import { isRetryable, withResilience } from '@bulwark/gemini-adapter';
import { type ClientEnv, generate, geminiClient, type Strategy } from './types.js';

/**
 * The recommended composition for one model of one client process, outermost first. `withResilience` mirrors it
 * per model.
 */
export const RECOMMENDED_COMPOSITION = `pipeline(
  retry: 3 attempts; exponential backoff, decorrelated jitter, 200 ms, 30 s cap; RetryInfo honoured up to 60 s;
    never sleeps past the caller's deadline; retries 503/5xx/504/network/attempt timeouts and per-minute 429s;
    a retryBudget shared by the process's calls (10 % of requests + 1 retry/s, over 10 s),
  adaptiveConcurrency: AIMD limit learnt from the answers (start 20, min 0.1, max 1000, x0.5 on overload, binary
    search back, slow creep near the old level, doubling probe past it); calls above the limit wait locally,
    earliest deadline first, up to 60 s or their deadline, and leave paced (one per service time / limit); a
    refused call holds its slot one service time (1 s assumed until measured); RetryInfo pauses all dispatch
    (up to 60 s); a call that cannot finish before its deadline is not sent; overload signal = retry's failures,
  timeout: 60 s per attempt (inside the limiter, so a hung call is an overload signal)
)
No circuit breaker: the limiter already cuts the load to what the model serves (down to one probe per ten
service times) without failing the calls it holds, and has no break to wait out after recovery. Keep a per-model
breaker only where a fallback model can take the calls.`;

/** The composition's defaults, in real ms (the adaptive limiter's are also its library defaults). */
export const RECOMMENDED = {
  maxAttempts: 3,
  backoff: { initialDelay: 200, maxDelay: 30_000, jitter: 'decorrelated' },
  maxRetryDelay: 60_000,
  budget: { ratio: 0.1, minRetriesPerSecond: 1, window: 10_000 },
  concurrency: {
    initialLimit: 20,
    minLimit: 0.1,
    maxLimit: 1000,
    backoffRatio: 0.5,
    maxWait: 60_000,
    initialRtt: 1_000,
    maxPause: 60_000,
  },
  attemptTimeout: 60_000,
} as const;

export interface RecommendedPolicyOptions {
  /** Multiplies every duration (and divides every rate): 1 for real time. Default 1. */
  readonly scale?: number;
  readonly random?: RandomSource;
  readonly clock?: Clock;
  /** Overrides of the limiter's options (already in real time: not scaled). */
  readonly concurrency?: Partial<AdaptiveConcurrencyOptions>;
}

/** Builds the recommended pipeline for one model of one client process (durations multiplied by `scale`). */
export function recommendedPolicy(options: RecommendedPolicyOptions = {}) {
  const s = options.scale ?? 1;
  const { clock, random } = options;
  const r = RECOMMENDED;
  const budget = retryBudget({
    ratio: r.budget.ratio,
    window: r.budget.window * s,
    minRetriesPerSecond: r.budget.minRetriesPerSecond / s,
    clock,
  });
  return pipeline(
    retry({
      maxAttempts: r.maxAttempts,
      budget,
      handle: isRetryable,
      backoff: exponential({
        initialDelay: r.backoff.initialDelay * s,
        maxDelay: r.backoff.maxDelay * s,
        jitter: r.backoff.jitter,
      }),
      maxDelay: r.maxRetryDelay * s,
      random,
      clock,
    }),
    adaptiveConcurrency({
      ...r.concurrency,
      maxWait: r.concurrency.maxWait * s,
      initialRtt: r.concurrency.initialRtt * s,
      maxPause: r.concurrency.maxPause * s,
      handle: isRetryable,
      clock,
      ...options.concurrency,
    }),
    timeout(r.attemptTimeout * s, { clock }),
  );
}

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
