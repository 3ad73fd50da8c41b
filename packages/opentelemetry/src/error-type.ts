import type { RejectionReason } from '@bulwark/core';

/** The value OpenTelemetry's conventions use when an error has no better low-cardinality name. */
export const OTHER_ERROR = '_OTHER';

/**
 * The `error.type` of a failure: a low-cardinality name, never a message. A Gemini failure gives its kind
 * (`overloaded`, `rateLimited`...), an HTTP status error its status code (as the HTTP conventions do), any other
 * error its `name` (`TimeoutError`, `BrokenCircuitError`, `TypeError`), anything else `_OTHER`.
 */
export function errorType(error: unknown): string {
  if (typeof error !== 'object' || error === null) return OTHER_ERROR;
  const { code, kind, status, name } = error as {
    code?: unknown;
    kind?: unknown;
    status?: unknown;
    name?: unknown;
  };
  if (code === 'GEMINI_FAILURE' && typeof kind === 'string') return kind;
  if (code === 'HTTP_STATUS' && typeof status === 'number') return String(status);
  return typeof name === 'string' && name !== '' ? name : OTHER_ERROR;
}

/**
 * The error a refusal reported only by its `rejected` event (the outermost layer refused: no `failure` follows)
 * stands for, so that its execution carries the `error.type` a `failure` would have carried. `queueTimeout` is the
 * bulkhead's; adaptive concurrency's refusals are `ThrottledError`s whatever their reason.
 */
export function rejectionErrorType(reason: RejectionReason, throttles: boolean): string {
  if (throttles) return 'ThrottledError';
  switch (reason) {
    case 'circuitOpen':
    case 'halfOpenBusy':
      return 'BrokenCircuitError';
    case 'isolated':
      return 'IsolatedCircuitError';
    case 'bulkheadFull':
    case 'queueTimeout':
      return 'BulkheadRejectedError';
    case 'rateLimited':
      return 'RateLimitedError';
    case 'throttled':
      return 'ThrottledError';
    case 'budget':
      return 'BudgetExhaustedError';
    default:
      return OTHER_ERROR;
  }
}
