export {
  AdaptiveConcurrencyPolicy,
  type AdaptiveConcurrencyStats,
  adaptiveConcurrency,
} from './adaptive-concurrency.js';
export type { AdaptiveConcurrencyOptions } from './options.js';
