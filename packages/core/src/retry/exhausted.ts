import { BulwarkError, guardFor } from '../errors.js';
import type { GiveUpReason } from '../events.js';

/**
 * Thrown by a retry with `failOnExhaustedResult: true` when it gives up on a result `handleResult` refused
 * (resilience4j's `failAfterMaxAttempts`): the caller gets an error instead of the last unwanted result, which it
 * carries as `result`. Code `RETRY_EXHAUSTED`.
 */
export class RetryExhaustedError extends BulwarkError {
  /** The last attempt's result, which `handleResult` refused. */
  declare readonly result: unknown;
  /** Attempts made, including the first. */
  declare readonly attempts: number;
  /** Why retry stopped retrying (as in its `giveUp` event). */
  declare readonly reason: GiveUpReason;
  constructor(result: unknown, attempts: number, reason: GiveUpReason) {
    super(`Retry gave up after ${attempts} attempt(s) (${reason}); the last result was refused`, {
      code: 'RETRY_EXHAUSTED',
    });
    this.name = 'RetryExhaustedError';
    this.result = result;
    this.attempts = attempts;
    this.reason = reason;
  }
}

/** True for a {@link RetryExhaustedError} (code `RETRY_EXHAUSTED`), from any copy of the package. */
export const isRetryExhaustedError: (value: unknown) => value is RetryExhaustedError =
  /* @__PURE__ */ guardFor<RetryExhaustedError>('RETRY_EXHAUSTED');
