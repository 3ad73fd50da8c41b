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
export {
  type PauseOptions,
  type RateLimitExecuteOptions,
  type RateLimitMode,
  type RateLimitOptions,
  RateLimitPolicy,
  rateLimit,
} from './rate-limit.js';
export {
  type Blocker,
  type BucketState,
  type KeyState,
  type LimitState,
  rateLimitAlgorithms,
  type WindowState,
} from './state.js';
export {
  ADMITTED,
  type AcquireResult,
  type Admitted,
  type Denied,
  type RateLimitScope,
  type RateLimitStore,
} from './store.js';
