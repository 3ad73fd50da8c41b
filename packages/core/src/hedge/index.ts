export * from './hedge.js';
export type { PercentileDelay } from './latency-window.js';
