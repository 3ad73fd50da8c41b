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
