/**
 * `@bulwark/core/store`: what implementing a RateLimitStore takes. The contract (requests and answers), the
 * per-key state, and the limit algorithms as pure functions over it, so that another store (e.g. one running them
 * in a server-side script) decides exactly as the in-memory one.
 */
export { type Blocker, rateLimitAlgorithms } from './rate-limit/algorithms.js';
export { MemoryRateLimitStore, type MemoryStoreOptions, memoryStore } from './rate-limit/memory-store.js';
export {
  type BucketState,
  type KeyState,
  type LimitState,
  NEVER,
  TIME_EPSILON,
  type WindowState,
} from './rate-limit/state.js';
export {
  ADMITTED,
  type AcquireRequest,
  type AcquireResult,
  type Admission,
  type Admitted,
  type AdjustRequest,
  type Denied,
  type KeyRequest,
  type PauseRequest,
  type RateLimitScope,
  type RateLimitStore,
  type ReadRequest,
  type RelimitRequest,
  type ReadResult,
} from './rate-limit/store.js';
