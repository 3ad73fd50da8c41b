export type { RedisRateLimitStoreOptions } from './options.js';
export { RedisRateLimitStore, redisRateLimitStore } from './redis-rate-limit-store.js';
export { isStoreReplyError, StoreReplyError } from './replies.js';
