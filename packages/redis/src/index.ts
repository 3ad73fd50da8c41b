export {
  fromIoredis,
  fromNodeRedis,
  type IoredisLike,
  type NodeRedisLike,
  type RedisScriptClient,
  toScriptClient,
} from './client.js';
export { isNoScript, RedisScript } from './script.js';
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
// The rate-limit store (issue 13, items 1 and 6).
export {
  isStoreReplyError,
  RedisRateLimitStore,
  type RedisRateLimitStoreOptions,
  redisRateLimitStore,
  StoreReplyError,
} from './rate-limit/index.js';
