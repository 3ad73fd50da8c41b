export {
  type AdaptiveConcurrencyOptions,
  AdaptiveConcurrencyPolicy,
  type AdaptiveConcurrencyStats,
  adaptiveConcurrency,
} from './adaptive-concurrency.js';
