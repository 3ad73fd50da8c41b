export { LeasedRateLimitStore, leaseStore } from './leased-store.js';
export type { LeaseOptions } from './options.js';
