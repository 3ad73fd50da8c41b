export {
  fromIoredis,
  fromNodeRedis,
  type IoredisLike,
  type NodeRedisLike,
  type RedisScriptClient,
  toScriptClient,
} from './client.js';
export { isNoScript, RedisScript } from './script.js';
// The rate-limit store (issue 13, items 1 and 6).
export {
  isStoreReplyError,
  RedisRateLimitStore,
  type RedisRateLimitStoreOptions,
  redisRateLimitStore,
  StoreReplyError,
} from './rate-limit/index.js';
