export { type Failure, type FallbackOptions, FallbackPolicy, fallback } from './fallback.js';
