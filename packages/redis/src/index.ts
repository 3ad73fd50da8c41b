export {
  fromIoredis,
  fromNodeRedis,
  type IoredisLike,
  type NodeRedisLike,
  type RedisScriptClient,
  toScriptClient,
} from './client.js';
export { isNoScript, RedisScript } from './script.js';
// Shared circuit state (a breaker's `sync`).
export {
  type CircuitSyncEvents,
  type CircuitSyncOperation,
  CircuitReplyError,
  RedisCircuitSync,
  type RedisCircuitSyncOptions,
  redisCircuitSync,
} from './breaker/index.js';
// A guard for any rate-limit store: per-call timeout, onStoreError, recovery.
export {
  GuardedRateLimitStore,
  GuardedStoreEmitter,
  type GuardedStoreEvents,
  type GuardStoreOptions,
  guardStore,
  isStoreUnavailableError,
  type StoreErrorMode,
  type StoreOperation,
  type StoreRecoveredEvent,
  StoreUnavailableError,
  type StoreUnavailableEvent,
} from './guard/index.js';
// The rate-limit store.
export {
  isStoreReplyError,
  RedisRateLimitStore,
  type RedisRateLimitStoreOptions,
  redisRateLimitStore,
  StoreReplyError,
} from './rate-limit/index.js';
// The Redis store behind its guard: what most services want.
export { type RedisStoreOptions, redisStore } from './redis-store.js';
// A local lease in front of a shared rate-limit store: a batch of tokens per round trip.
export { LeasedRateLimitStore, type LeaseOptions, leaseStore } from './rate-limit/lease/index.js';
