export { type HedgeDelay, type HedgeOptions, HedgePolicy, hedge } from './hedge.js';
