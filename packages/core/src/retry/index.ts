export { isRetryExhaustedError, RetryExhaustedError } from './exhausted.js';
export { type RetryGate, type RetryOptions, type RetryOutcome, RetryPolicy, retry } from './retry.js';
