export type { RedisCircuitSyncOptions } from './options.js';
export { CircuitReplyError } from './record.js';
export {
  type CircuitSyncEvents,
  type CircuitSyncOperation,
  RedisCircuitSync,
  redisCircuitSync,
} from './sync.js';
