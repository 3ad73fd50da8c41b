export {
  type Classifier,
  type ClassifierOptions,
  type ClassifyOptions,
  classify,
  createClassifier,
  defaultRule,
  type StatusDecision,
  type StatusKind,
  type StatusRule,
} from './classify.js';
export { HttpStatusError, type HttpStatusErrorInit, isHttpStatusError, MAX_BODY_EXCERPT } from './error.js';
export { type FetchLike, type Pausable, type ResilientFetchOptions, resilientFetch } from './fetch.js';
export type { HeadersLike } from './headers.js';
export { type DelayHint, delayHintMs, type ReadDelayHintOptions, readDelayHint } from './hints.js';
export { parseHttpDate } from './http-date.js';
export { IDEMPOTENT_METHODS, isIdempotentMethod } from './methods.js';
export { isAbortError, isNotSentError, isTransientNetworkError, networkErrorCode } from './network.js';
export {
  classifyError,
  type ErrorDecision,
  type ErrorKind,
  handle,
  isBreakerFailure,
  isRetryableFailure,
  markIfUnsafeToRetry,
  markNotRetryable,
  type RequestSafety,
} from './predicates.js';
export { MAX_HINT_MS, parseRetryAfter } from './retry-after.js';
