export type { Backoff, BackoffBase, BackoffSequence, RandomSource } from './backoff.js';
export { constant } from './constant.js';
export { type ExponentialOptions, exponential, type Jitter } from './exponential.js';
export { type LinearOptions, linear } from './linear.js';
