export { CircuitBreakerPolicy, circuitBreaker } from './breaker.js';
export { consecutive } from './consecutive.js';
export { BreakerControl, breakerControl, type ControlMode } from './control.js';
export { type CountWindowOptions, countWindow } from './count-window.js';
export type { IsolationHandle } from './isolation.js';
export type { CircuitBreakerOptions } from './options.js';
export type { BreakerSnapshot } from './snapshot.js';
export type {
  BreakerStrategy,
  ExceededThreshold,
  StrategyKind,
  WindowSnapshot,
  WindowStats,
} from './strategy.js';
export type { CircuitCloseCause, CircuitSync, ProbePermit, SharedCircuit } from './sync.js';
export { type TimeWindowOptions, type TimeWindowStrategyOf, timeWindow } from './time-window.js';
export type { BreakOutcome, BreakStats } from './options.js';
