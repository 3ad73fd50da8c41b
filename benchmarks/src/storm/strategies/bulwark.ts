/**
 * Bulwark's recommended pipeline for a Gemini client, built from core policies.
 *
 * LEAD: once `withResilience(ai, options)` lands in @bulwark/gemini-adapter, replace `create` below with
 * `withResilience(geminiClient(env), { ...scaled defaults })` and call `ai.models.generateContent` directly;
 * nothing else in the storm depends on how this module builds its client.
 */
import {
  circuitBreaker,
  exponential,
  isTimeoutError,
  pipeline,
  retry,
  retryBudget,
  timeout,
} from '@bulwark/core';
import { type GeminiFailureKind, isGeminiFailure, parseGeminiError } from '@bulwark/gemini-adapter';
import { type ClientEnv, generate, geminiClient, type Strategy } from './types.js';

/** Failures worth another attempt on the same model (the adapter's decision table). */
const RETRYABLE: ReadonlySet<GeminiFailureKind> = new Set([
  'overloaded',
  'serverError',
  'deadline',
  'network',
  'timeout',
  'rateLimited',
]);

/** Failures that say the model is unhealthy; a 429 only says this project sent too much. */
const BREAKER_FAILURES: ReadonlySet<GeminiFailureKind> = new Set([
  'overloaded',
  'serverError',
  'deadline',
  'network',
  'timeout',
]);

export function isRetryable(error: unknown): boolean {
  return isGeminiFailure(error) ? RETRYABLE.has(error.kind) : isTimeoutError(error);
}

export function isBreakerFailure(error: unknown): boolean {
  return isGeminiFailure(error) ? BREAKER_FAILURES.has(error.kind) : isTimeoutError(error);
}

/** Library defaults, in scenario ms, scaled per run. */
const DEFAULTS = {
  backoffInitial: 200,
  backoffMax: 30_000,
  maxHintDelay: 60_000,
  budgetWindow: 10_000,
  budgetMinRetriesPerSecond: 1,
  halfOpenAfter: 5_000,
  attemptTimeout: 10_000,
} as const;

/**
 * retry (default backoff, honours RetryInfo, gives up before the caller's deadline) sharing one retry budget
 * per client instance, around a circuit breaker (default: 5 consecutive failures, 5 s break), around a short
 * attempt timeout.
 */
export const bulwarkPipeline: Strategy = {
  id: 'bulwark',
  label: 'Bulwark pipeline',
  description:
    'pipeline(retry(3 attempts, default backoff, RetryInfo hints, shared retryBudget defaults), circuitBreaker defaults, timeout(10 s)).',
  create(env: ClientEnv) {
    const ai = geminiClient(env);
    const s = env.scale;
    const budget = retryBudget({
      window: DEFAULTS.budgetWindow * s,
      minRetriesPerSecond: DEFAULTS.budgetMinRetriesPerSecond / s,
    });
    const policy = pipeline(
      retry({
        budget,
        handle: isRetryable,
        backoff: exponential({
          initialDelay: DEFAULTS.backoffInitial * s,
          maxDelay: DEFAULTS.backoffMax * s,
          jitter: 'decorrelated',
        }),
        maxDelay: DEFAULTS.maxHintDelay * s,
        random: env.random,
      }),
      circuitBreaker({ halfOpenAfter: DEFAULTS.halfOpenAfter * s, handle: isBreakerFailure }),
      timeout(DEFAULTS.attemptTimeout * s),
    );
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
