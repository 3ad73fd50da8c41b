export { CircuitBreakerPolicy, circuitBreaker } from './breaker.js';
export { consecutive } from './consecutive.js';
export { type CountWindowOptions, countWindow } from './count-window.js';
export type { IsolationHandle } from './isolation.js';
export type { CircuitBreakerOptions } from './options.js';
export type { BreakerSnapshot } from './snapshot.js';
export type { BreakerStrategy, StrategyKind, WindowSnapshot } from './strategy.js';
export type { CircuitCloseCause, CircuitSync, ProbePermit, SharedCircuit } from './sync.js';
export { type TimeWindowOptions, timeWindow } from './time-window.js';
