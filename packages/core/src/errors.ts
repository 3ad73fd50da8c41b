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
const BRAND = /* @__PURE__ */ Symbol.for('bulwark.error');
/** Set on ExecutionRejectedError's prototype: inherited by every subclass, read the same by every copy. */
const REJECTED = /* @__PURE__ */ Symbol.for('bulwark.error.rejected');

/**
 * A Bulwark error's code. Core's codes are listed for completion and narrowing; the union is open, so other
 * packages and custom policies define their own (`HTTP_STATUS`, `GEMINI_FAILURE`) without editing it.
 */
export type BulwarkErrorCode =
  | 'BULWARK_ERROR'
  | 'INVALID_OPTION'
  | 'TIMEOUT'
  | 'EXECUTION_REJECTED'
  | 'BROKEN_CIRCUIT'
  | 'ISOLATED_CIRCUIT'
  | 'BULKHEAD_REJECTED'
  | 'RATE_LIMITED'
  | 'THROTTLED'
  | 'BUDGET_EXHAUSTED'
  | 'RETRY_EXHAUSTED'
  | (string & {});

/** Whether this engine lets us skip the stack trace (V8, and Error.stackTraceLimit not frozen). */
const CAN_SKIP_STACK = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true;

/** Options of the {@link BulwarkError} constructor. */
export interface BulwarkErrorOptions {
  /** The error's code (its brand). Default `BULWARK_ERROR` (`EXECUTION_REJECTED` for a bare rejection). */
  code?: BulwarkErrorCode;
  /** Milliseconds after which trying again may succeed; non-finite or negative values are dropped (undefined). */
  retryAfterMs?: number | undefined;
  /** The error that caused this one (the standard `Error` `cause`). */
  cause?: unknown;
  /**
   * Capture no stack trace. Default: true for an ExecutionRejectedError, false otherwise. Load-shedding
   * rejections come by the thousand per second in an outage, a stack costs several µs each (more than the call
   * they spare), and it would only point into the policy.
   */
  stackless?: boolean;
}

/**
 * The base class of every error Bulwark throws. Tell errors apart with the `is...Error` guards (or `code`), which work
 * across copies of the package; `instanceof` works only within one copy.
 */
export class BulwarkError extends Error {
  /** The error's code, under a symbol shared by every copy of the package (read it with `code` or the guards). */
  readonly [BRAND]: BulwarkErrorCode;
  /** Milliseconds after which trying again may succeed, when the error implies "try later". */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: BulwarkErrorOptions = {}) {
    const skipStack =
      CAN_SKIP_STACK &&
      (options.stackless ?? (new.target.prototype as { [REJECTED]?: boolean })[REJECTED] === true);
    const limit = Error.stackTraceLimit;
    if (skipStack) Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (skipStack) Error.stackTraceLimit = limit;
    this.name = 'BulwarkError';
    this[BRAND] = options.code ?? 'BULWARK_ERROR';
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Stable machine-readable code, also readable across package copies. */
  get code(): BulwarkErrorCode {
    return this[BRAND];
  }
}

/** An option given to a policy constructor was invalid (thrown at construction, never later). */
export class InvalidOptionError extends BulwarkError {
  /** The name of the invalid option, e.g. `'maxAttempts'`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`Invalid option "${option}": ${message}`, { code: 'INVALID_OPTION' });
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/** A timeout policy's deadline passed before the operation settled. */
export class TimeoutError extends BulwarkError {
  /** The timeout that passed (ms). */
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options: { cause?: unknown } = {}) {
    super(`Operation timed out after ${timeoutMs} ms`, { code: 'TIMEOUT', cause: options.cause });
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A policy refused to run the function: nothing reached the dependency, so the refusal says nothing about its
 * health. Every local refusal extends it (and a custom policy's should): a circuit breaker's default `handle` does
 * not count it as a failure, and `isOverloadError` (adaptiveThrottle, adaptiveConcurrency) reads it as overload.
 * It captures no stack trace unless `stackless: false` is given.
 */
export class ExecutionRejectedError extends BulwarkError {
  constructor(message = 'Execution rejected by a policy', options: BulwarkErrorOptions = {}) {
    super(message, options.code === undefined ? { ...options, code: 'EXECUTION_REJECTED' } : options);
    this.name = 'ExecutionRejectedError';
  }

  /** The mark `isExecutionRejectedError` reads; on the prototype, so it costs an instance nothing. */
  get [REJECTED](): true {
    return true;
  }
}

/** A circuit breaker is open (or half-open with every probe slot taken). */
export class BrokenCircuitError extends ExecutionRejectedError {
  constructor(message = 'Execution prevented because the circuit breaker is open', retryAfterMs?: number) {
    super(message, { code: 'BROKEN_CIRCUIT', retryAfterMs });
    this.name = 'BrokenCircuitError';
  }
}

/** A circuit breaker was isolated by hand (`isolate()`); it stays open until the handle is released. */
export class IsolatedCircuitError extends ExecutionRejectedError {
  constructor(message = 'Execution prevented because the circuit breaker is isolated') {
    super(message, { code: 'ISOLATED_CIRCUIT' });
    this.name = 'IsolatedCircuitError';
  }
}

/** A bulkhead had no free slot and no queue room, or the queued call waited longer than `queueTimeout`. */
export class BulkheadRejectedError extends ExecutionRejectedError {
  /**
   * 'full': no free slot and no room in the queue; 'queueTimeout': the call waited longer than `queueTimeout` in the
   * queue.
   */
  readonly reason: 'full' | 'queueTimeout';
  constructor(reason: 'full' | 'queueTimeout', message?: string) {
    super(
      message ??
        (reason === 'full' ? 'Bulkhead capacity exceeded' : 'Timed out waiting in the bulkhead queue'),
      { code: 'BULKHEAD_REJECTED' },
    );
    this.name = 'BulkheadRejectedError';
    this.reason = reason;
  }
}

/** A rate limiter could not admit the call (in reject mode, or not within `maxWait`). */
export class RateLimitedError extends ExecutionRejectedError {
  /** Which limit refused, e.g. 'requests/min' or the name the user gave it. */
  readonly limit: string | undefined;
  /** The key (model, tenant...) that was limited; undefined for the shared key. */
  readonly key: string | undefined;
  constructor(
    retryAfterMs: number | undefined,
    options: { limit?: string; key?: string; message?: string } = {},
  ) {
    super(options.message ?? `Rate limit exceeded${options.limit ? ` (${options.limit})` : ''}`, {
      code: 'RATE_LIMITED',
      retryAfterMs,
    });
    this.name = 'RateLimitedError';
    this.limit = options.limit;
    this.key = options.key;
  }
}

/** Client-side throttling (adaptiveThrottle, adaptiveConcurrency) dropped the call to spare the dependency. */
export class ThrottledError extends ExecutionRejectedError {
  constructor(message = 'Request throttled client-side: the dependency is rejecting most requests') {
    super(message, { code: 'THROTTLED' });
    this.name = 'ThrottledError';
  }
}

/**
 * A shared retry budget had nothing left. Core's retry and hedge never raise it (a refused retry passes on the
 * last outcome, a refused hedge is not started); it is the refusal of a policy of your own that consults a
 * `RetryGate` and refuses to run.
 */
export class BudgetExhaustedError extends ExecutionRejectedError {
  constructor(message = 'Execution prevented because the retry budget is exhausted') {
    super(message, { code: 'BUDGET_EXHAUSTED' });
    this.name = 'BudgetExhaustedError';
  }
}

function codeOf(value: unknown): BulwarkErrorCode | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { [BRAND]?: unknown })[BRAND];
  return typeof code === 'string' ? code : undefined;
}

/** True for any Bulwark error, from any copy of the package (and of the packages built on it). */
export function isBulwarkError(value: unknown): value is BulwarkError {
  return codeOf(value) !== undefined;
}

/** Builds a type guard for one error code, from any copy of the package; used by every error module. */
export function guardFor<E extends BulwarkError>(code: BulwarkErrorCode): (value: unknown) => value is E {
  return (value: unknown): value is E => codeOf(value) === code;
}

/** True for every local refusal (any subclass of ExecutionRejectedError), from any copy of the package. */
export function isExecutionRejectedError(value: unknown): value is ExecutionRejectedError {
  return (
    typeof value === 'object' && value !== null && (value as { [REJECTED]?: unknown })[REJECTED] === true
  );
}

/** True for an {@link InvalidOptionError} (code `INVALID_OPTION`), from any copy of the package. */
export const isInvalidOptionError = /* @__PURE__ */ guardFor<InvalidOptionError>('INVALID_OPTION');
/** True for a {@link TimeoutError} (code `TIMEOUT`), from any copy of the package. */
export const isTimeoutError = /* @__PURE__ */ guardFor<TimeoutError>('TIMEOUT');
/** True for a {@link BrokenCircuitError} (code `BROKEN_CIRCUIT`), from any copy of the package. */
export const isBrokenCircuitError = /* @__PURE__ */ guardFor<BrokenCircuitError>('BROKEN_CIRCUIT');
/** True for an {@link IsolatedCircuitError} (code `ISOLATED_CIRCUIT`), from any copy of the package. */
export const isIsolatedCircuitError = /* @__PURE__ */ guardFor<IsolatedCircuitError>('ISOLATED_CIRCUIT');
/** True for a {@link BulkheadRejectedError} (code `BULKHEAD_REJECTED`), from any copy of the package. */
export const isBulkheadRejectedError = /* @__PURE__ */ guardFor<BulkheadRejectedError>('BULKHEAD_REJECTED');
/** True for a {@link RateLimitedError} (code `RATE_LIMITED`), from any copy of the package. */
export const isRateLimitedError = /* @__PURE__ */ guardFor<RateLimitedError>('RATE_LIMITED');
/** True for a {@link ThrottledError} (code `THROTTLED`), from any copy of the package. */
export const isThrottledError = /* @__PURE__ */ guardFor<ThrottledError>('THROTTLED');
/** True for a {@link BudgetExhaustedError} (code `BUDGET_EXHAUSTED`), from any copy of the package. */
export const isBudgetExhaustedError = /* @__PURE__ */ guardFor<BudgetExhaustedError>('BUDGET_EXHAUSTED');

/** Reads a usable "try again after" hint from any error-like value: a finite, non-negative number or undefined. */
export function retryAfterOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ms = (value as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
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
