/**
 * Bulwark's errors. Each carries a brand (a registered symbol) whose value is its code, instead of relying on
 * `instanceof`, so the guards keep working when an application ends up with two copies of a package (two versions
 * in node_modules, the ESM and the CJS build). The hierarchy:
 *
 *   BulwarkError                      (any code; BULWARK_ERROR when none is given)
 *   ├── InvalidOptionError            INVALID_OPTION
 *   ├── TimeoutError                  TIMEOUT
 *   ├── ExecutionRejectedError        EXECUTION_REJECTED: refused locally, the function was not called
 *   │   ├── BrokenCircuitError        BROKEN_CIRCUIT
 *   │   ├── IsolatedCircuitError      ISOLATED_CIRCUIT
 *   │   ├── BulkheadRejectedError     BULKHEAD_REJECTED
 *   │   ├── RateLimitedError          RATE_LIMITED
 *   │   ├── ThrottledError            THROTTLED
 *   │   └── BudgetExhaustedError      BUDGET_EXHAUSTED
 *   └── (other packages)              HTTP_STATUS (HttpStatusError), GEMINI_FAILURE (GeminiFailure)
 *
 * A new local refusal is one class extending ExecutionRejectedError: the breaker's default `handle` and
 * `isOverloadError` recognise it by that alone.
 */
import { BulwarkError, guardFor } from './errors/base.js';
import { isExecutionRejectedError } from './errors/rejected.js';
import { asFiniteNonNegative } from './internal/finite.js';

export {
  BulwarkError,
  type BulwarkErrorCode,
  type BulwarkErrorOptions,
  guardFor,
  isBulwarkError,
} from './errors/base.js';
export {
  BrokenCircuitError,
  BudgetExhaustedError,
  BulkheadRejectedError,
  ExecutionRejectedError,
  IsolatedCircuitError,
  isBrokenCircuitError,
  isBudgetExhaustedError,
  isBulkheadRejectedError,
  isExecutionRejectedError,
  isIsolatedCircuitError,
  isRateLimitedError,
  isThrottledError,
  RateLimitedError,
  ThrottledError,
} from './errors/rejected.js';

/** An option given to a policy constructor was invalid (thrown at construction, never later). */
export class InvalidOptionError extends BulwarkError {
  /** The name of the invalid option, e.g. `'maxAttempts'`. */
  declare readonly option: string;
  constructor(option: string, message: string) {
    super(`Invalid option "${option}": ${message}`, { code: 'INVALID_OPTION' });
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/** A timeout policy's deadline passed before the operation settled. */
export class TimeoutError extends BulwarkError {
  /** The timeout that passed (ms). */
  declare readonly timeoutMs: number;
  constructor(timeoutMs: number, options: { cause?: unknown } = {}) {
    super(`Operation timed out after ${timeoutMs} ms`, { code: 'TIMEOUT', cause: options.cause });
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** True for an {@link InvalidOptionError} (code `INVALID_OPTION`), from any copy of the package. */
export const isInvalidOptionError = /* @__PURE__ */ guardFor<InvalidOptionError>('INVALID_OPTION');
/** True for a {@link TimeoutError} (code `TIMEOUT`), from any copy of the package. */
export const isTimeoutError = /* @__PURE__ */ guardFor<TimeoutError>('TIMEOUT');

/** Reads a usable "try again after" hint from any error-like value: a finite, non-negative number or undefined. */
export function retryAfterOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return asFiniteNonNegative((value as { retryAfterMs?: unknown }).retryAfterMs);
}

/**
 * True when an error says the request was not served because something is overloaded or out of capacity: the
 * default `handle` of adaptiveThrottle and adaptiveConcurrency (what lowers their limit). That is: a Bulwark
 * timeout or local refusal (any ExecutionRejectedError); an error with an HTTP-like numeric `status` or
 * `statusCode` of 429 or 503; or an error carrying a `retryAfterMs` hint.
 */
export function isOverloadError(error: unknown): boolean {
  if (isExecutionRejectedError(error) || isTimeoutError(error)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  if (code === 429 || code === 503) return true;
  return retryAfterOf(error) !== undefined;
}
