import { isTimeoutError } from '@bulwark/core';
import { isHttpStatusError } from './error.js';
import { IDEMPOTENT_METHODS, normalizeMethod } from './methods.js';
import { isAbortError, isNotSentError, isTransientNetworkError } from './network.js';

/** Errors that must not be retried whatever they look like: repeating their request could do the work twice. */
const notRetryable = new WeakSet<object>();

/**
 * Marks `error` so `handle.retry` refuses it (e.g. a POST that failed after it may have reached the server).
 * Returns the same error, for `throw markNotRetryable(error)`. Primitives cannot be marked and are returned as is.
 */
export function markNotRetryable<E>(error: E): E {
  if (typeof error === 'object' && error !== null) notRetryable.add(error);
  return error;
}

/** Marked, or a cooperative timeout's TimeoutError wrapping a marked error (same attempt, same verdict). */
function isMarked(error: unknown): boolean {
  // WeakSet.has is false for a primitive (error or cause), so neither needs a type check.
  return (
    notRetryable.has(error as object) || (isTimeoutError(error) && notRetryable.has(error.cause as object))
  );
}

/** What an error is, as {@link classifyError} sees it (see {@link ErrorDecision.kind}). */
export type ErrorKind = 'http' | 'network' | 'timeout' | 'abort' | 'other';

/**
 * What {@link classifyError} says of an error: its kind, whether to retry it and whether it counts against a breaker.
 */
export interface ErrorDecision {
  /**
   * http: an HttpStatusError; network: a transient connection failure; timeout: a Bulwark TimeoutError (an attempt
   * ran out of time); abort: a cancellation; other: anything else (a bug, a TLS setup error, another policy's
   * rejection).
   */
  readonly kind: ErrorKind;
  /** Retrying is useful and safe for this request. */
  readonly retry: boolean;
  /** Counts against a circuit breaker: 5xx-like answers, network failures and timeouts. */
  readonly breakerFailure: boolean;
}

/** What makes a request safe to repeat besides its method. */
export interface RequestSafety {
  /** Default 'GET'. */
  readonly method?: string | undefined;
  /** The request carries an idempotency key, so repeating it is safe whatever its method. */
  readonly idempotencyKey?: boolean | undefined;
  /** The caller opted in to repeating a non-idempotent request. */
  readonly retryUnsafe?: boolean | undefined;
}

const ABORT: ErrorDecision = /* @__PURE__ */ Object.freeze({
  kind: 'abort',
  retry: false,
  breakerFailure: false,
});
const OTHER: ErrorDecision = /* @__PURE__ */ Object.freeze({
  kind: 'other',
  retry: false,
  breakerFailure: false,
});

function safeToRepeat(request: RequestSafety | undefined): boolean {
  return (
    request === undefined ||
    IDEMPOTENT_METHODS.includes(normalizeMethod(request.method)) ||
    request.idempotencyKey === true ||
    request.retryUnsafe === true
  );
}

/**
 * Classifies a thrown error. For network errors and timeouts, `request` says whether repeating is safe: an
 * idempotent method, an idempotency key, an opt-in, or (network errors only) proof that nothing was sent.
 * Without `request` the request is assumed safe to repeat. Marked errors are never retried.
 */
export function classifyError(error: unknown, request?: RequestSafety): ErrorDecision {
  const marked = isMarked(error);
  if (isHttpStatusError(error)) {
    const { retry, breakerFailure } = error.decision;
    return { kind: 'http', retry: retry && !marked, breakerFailure };
  }
  if (isTimeoutError(error)) {
    return { kind: 'timeout', retry: !marked && safeToRepeat(request), breakerFailure: true };
  }
  if (isAbortError(error)) return ABORT;
  if (isTransientNetworkError(error)) {
    const retry = !marked && (safeToRepeat(request) || isNotSentError(error));
    return { kind: 'network', retry, breakerFailure: true };
  }
  return OTHER;
}

/** Marks `error` as not retryable unless repeating `request` after it is safe; returns `error`. */
export function markIfUnsafeToRetry<E>(error: E, request: RequestSafety): E {
  return classifyError(error, request).retry ? error : markNotRetryable(error);
}

/** For core `retry({ handle })`: retryable HTTP answers, transient network errors and attempt timeouts. */
export function isRetryableFailure(error: unknown): boolean {
  return classifyError(error).retry;
}

/** For `circuitBreaker({ handle })`: 5xx and 408 answers, network errors and timeouts; never 429 or a 4xx. */
export function isBreakerFailure(error: unknown): boolean {
  return classifyError(error).breakerFailure;
}

/** Ready-made predicates: `retry({ handle: handle.retry })`, `circuitBreaker({ handle: handle.breaker })`. */
export const handle: {
  /** {@link isRetryableFailure}: for `retry({ handle })`. */
  readonly retry: (error: unknown) => boolean;
  /** {@link isBreakerFailure}: for `circuitBreaker({ handle })`. */
  readonly breaker: (error: unknown) => boolean;
} = Object.freeze({ retry: isRetryableFailure, breaker: isBreakerFailure });
