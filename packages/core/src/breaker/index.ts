export {
  type CircuitBreakerOptions,
  CircuitBreakerPolicy,
  circuitBreaker,
  type IsolationHandle,
} from './breaker.js';
export { consecutive } from './consecutive.js';
export { type CountWindowOptions, countWindow } from './count-window.js';
export type { BreakerSnapshot } from './snapshot.js';
export type { BreakerStrategy, StrategyKind, WindowSnapshot } from './strategy.js';
export { type TimeWindowOptions, timeWindow } from './time-window.js';
