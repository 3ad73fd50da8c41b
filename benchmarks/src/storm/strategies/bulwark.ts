/**
 * Bulwark's recommended pipeline for a Gemini client, built from core policies. `RECOMMENDED_COMPOSITION` (below)
 * says what it is in a few lines; `RECOMMENDED` holds its defaults in real time; `recommendedPolicy()` builds it.
 *
 * LEAD: once `withResilience(ai, options)` lands in @bulwark/gemini-adapter with this composition, replace
 * `create` below with `withResilience(geminiClient(env), { ...scaled defaults })` and call
 * `ai.models.generateContent` directly; nothing else in the storm depends on how this module builds its client.
 */
import {
  type AdaptiveConcurrencyOptions,
  adaptiveConcurrency,
  type Clock,
  exponential,
  isTimeoutError,
  pipeline,
  type RandomSource,
  retry,
  retryBudget,
  timeout,
} from '@bulwark/core';
import { type GeminiFailureKind, isGeminiFailure, parseGeminiError } from '@bulwark/gemini-adapter';
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

/** Failures worth another attempt on the same model (the adapter's decision table). */
const RETRYABLE: ReadonlySet<GeminiFailureKind> = new Set([
  'overloaded',
  'serverError',
  'deadline',
  'network',
  'timeout',
  'rateLimited',
]);

export function isRetryable(error: unknown): boolean {
  return isGeminiFailure(error) ? RETRYABLE.has(error.kind) : isTimeoutError(error);
}

/**
 * The limiter's overload signal: every retryable failure. A per-minute 429 counts too (the project sends more
 * than it may), and its RetryInfo pauses dispatching.
 */
export function isOverload(error: unknown): boolean {
  return isRetryable(error);
}

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
      handle: isOverload,
      clock,
      ...options.concurrency,
    }),
    timeout(r.attemptTimeout * s, { clock }),
  );
}

export const bulwarkPipeline: Strategy = {
  id: 'bulwark',
  label: 'Bulwark pipeline',
  description:
    'pipeline(retry(3 attempts, default backoff, RetryInfo hints, shared retryBudget defaults), adaptiveConcurrency defaults, timeout(60 s)).',
  create(env: ClientEnv) {
    const ai = geminiClient(env);
    const policy = recommendedPolicy({ scale: env.scale, random: env.random });
    return {
      call: (signal, deadline) =>
        policy.execute(
          async (ctx) => {
            try {
              return await generate(ai, env, ctx.signal);
            } catch (error) {
              throw parseGeminiError(error, { signal: ctx.signal, model: env.model });
            }
          },
          { signal, deadline },
        ),
    };
  },
};
