export {
  type AdaptiveThrottleOptions,
  AdaptiveThrottlePolicy,
  type AdaptiveThrottleStats,
  adaptiveThrottle,
} from './adaptive-throttle.js';
export { RetryBudget, type RetryBudgetOptions, type RetryBudgetStats, retryBudget } from './retry-budget.js';
