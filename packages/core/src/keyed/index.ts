export { KeyedPolicy, type KeyedListener, keyedPolicy } from './keyed-policy.js';
export type { EvictionReason, KeyedPolicyOptions } from './options.js';
