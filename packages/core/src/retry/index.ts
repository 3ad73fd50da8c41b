export { type RetryGate, type RetryOptions, RetryPolicy, retry } from './retry.js';
