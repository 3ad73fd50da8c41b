export {
  type Cost,
  isRateLimitCostError,
  RateLimitCostError,
} from './cost.js';
export { type CostedTask, type WithCostOptions, withCost } from './costed-task.js';
export {
  type BucketLimit,
  type LimitUnit,
  type RateLimit,
  type SlidingWindowOptions,
  type SmoothOptions,
  slidingWindow,
  smooth,
  type TokenBucketOptions,
  tokenBucket,
  type WindowLimit,
} from './limits.js';
export { MemoryRateLimitStore, type MemoryStoreOptions, memoryStore } from './memory-store.js';
export type {
  LimitsChangeEvent,
  PauseOptions,
  RateLimitExecuteOptions,
  RateLimitMode,
  RateLimitOptions,
} from './options.js';
export { RateLimitPolicy, rateLimit } from './rate-limit.js';
// What a store's user needs; implementers find the rest of the contract in `@bulwark/core/store`.
export type { RateLimitScope, RateLimitStore } from './store.js';
