import { ExecutionRejectedError, guardFor } from '@bulwark/core';

/**
 * A guarded store is down and its `onStoreError` is `'refuse'`: the call was refused locally, nothing ran. As every
 * local refusal it is an ExecutionRejectedError (a circuit breaker does not count it; `isOverloadError` does) and
 * captures no stack trace. `cause` is the failure that began the outage (a core TimeoutError when the store did not
 * answer within `callTimeoutMs`); `retryAfterMs` is the time until the next probe of the store.
 */
export class StoreUnavailableError extends ExecutionRejectedError {
  /** The guarded store's `name`. */
  readonly store: string;

  constructor(store: string, cause: unknown, retryAfterMs: number | undefined) {
    super(`Rate-limit store "${store}" is unavailable`, { code: 'STORE_UNAVAILABLE', cause, retryAfterMs });
    this.name = 'StoreUnavailableError';
    this.store = store;
  }
}

/** True for a StoreUnavailableError from any copy of the package. */
export const isStoreUnavailableError = /* @__PURE__ */ guardFor<StoreUnavailableError>('STORE_UNAVAILABLE');
