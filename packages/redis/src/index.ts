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
