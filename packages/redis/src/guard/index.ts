export { isStoreUnavailableError, StoreUnavailableError } from './errors.js';
export {
  GuardedStoreEmitter,
  type GuardedStoreEvents,
  type StoreOperation,
  type StoreRecoveredEvent,
  type StoreUnavailableEvent,
} from './events.js';
export { GuardedRateLimitStore, guardStore } from './guarded-store.js';
export type { GuardStoreOptions, StoreErrorMode } from './options.js';
