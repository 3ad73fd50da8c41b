import {
  isBrokenCircuitError,
  isIsolatedCircuitError,
  isRateLimitedError,
  isThrottledError,
  isTimeoutError,
} from '@bulwark/core';
import { type GeminiFailureKind, isGeminiFailure } from '../errors/failure.js';
import type { FailoverReason } from './events.js';

/**
 * The decision table: what each kind of failure means for retry, the breaker and failover.
 *
 * | kind                  | retry on same model         | breaker failure | then            |
 * | overloaded (503)      | yes, jittered backoff       | yes             | fail over       |
 * | serverError (5xx, 499)| yes, jittered backoff       | yes             | fail over       |
 * | deadline (504)        | yes, jittered backoff       | yes             | fail over       |
 * | network               | yes, jittered backoff       | yes             | fail over       |
 * | timeout (ours)        | yes, jittered backoff       | yes             | fail over       |
 * | rateLimited (429/min) | yes, after RetryInfo delay  | no              | fail over       |
 * | dailyQuotaExhausted   | no (model skipped till reset)| no             | fail over       |
 * | notFound (404)        | no                          | no              | fail over       |
 * | clientError (400/403) | no                          | no              | fail            |
 * | unknown               | no                          | no              | fail            |
 * | empty, blocked (200)  | by options.responseCheck (GeminiResilience): return, retry, failover, fail |
 * | caller abort          | never                       | no              | reject with the caller's reason |
 */
const RETRYABLE: ReadonlySet<GeminiFailureKind> = new Set([
  'overloaded',
  'serverError',
  'deadline',
  'network',
  'timeout',
  'rateLimited',
]);

const BREAKER_FAILURES: ReadonlySet<GeminiFailureKind> = new Set([
  'overloaded',
  'serverError',
  'deadline',
  'network',
  'timeout',
]);

/**
 * True when the failure is worth retrying on the same model: overloaded, server errors, deadlines, network errors, our
 * timeouts and per-minute 429s (see the decision table in docs/gemini.md).
 */
export function isRetryable(error: unknown): boolean {
  if (isGeminiFailure(error)) return RETRYABLE.has(error.kind);
  return isTimeoutError(error);
}

/**
 * True when the failure counts against the model's circuit breaker: overloaded, server errors, deadlines, network
 * errors and our timeouts; never a 429, a 4xx or an empty or blocked answer.
 */
export function isBreakerFailure(error: unknown): boolean {
  if (isGeminiFailure(error)) return BREAKER_FAILURES.has(error.kind);
  return isTimeoutError(error);
}

/** Why a failed model should hand the call to the next one, or undefined when the failure is final. */
export function failoverReason(error: unknown): FailoverReason | undefined {
  if (isBrokenCircuitError(error) || isIsolatedCircuitError(error)) return 'breakerOpen';
  if (isRateLimitedError(error) || isThrottledError(error)) return 'localLimit';
  if (isGeminiFailure(error)) {
    if (error.kind === 'dailyQuotaExhausted') return 'dailyQuota';
    if (error.kind === 'notFound') return 'notFound';
    if (RETRYABLE.has(error.kind)) return 'retriesExhausted';
    return undefined;
  }
  return isTimeoutError(error) ? 'retriesExhausted' : undefined;
}
