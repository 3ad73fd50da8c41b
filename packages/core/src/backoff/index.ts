export type { Backoff, BackoffBase, BackoffSequence, RandomSource } from './backoff.js';
export { type ConstantOptions, constant } from './constant.js';
export { type ExponentialOptions, exponential, type Jitter } from './exponential.js';
export type { SimpleJitter } from './jitter.js';
export { type LinearOptions, linear } from './linear.js';
export { type ListBackoffOptions, type ListExhausted, listBackoff } from './list.js';
