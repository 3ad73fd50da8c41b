export {
  type AdaptiveConcurrencyOptions,
  AdaptiveConcurrencyPolicy,
  type AdaptiveConcurrencyStats,
  adaptiveConcurrency,
  type LimitChangeEvent,
  type LimitChangeReason,
} from './adaptive-concurrency.js';
