export {
  type EvictionReason,
  KeyedPolicy,
  type KeyedListener,
  type KeyedPolicyOptions,
  keyedPolicy,
} from './keyed-policy.js';
