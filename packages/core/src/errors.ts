/**
 * Bulwark errors carry a brand (a registered symbol) instead of relying on `instanceof`, so type guards keep
 * working when an application ends up with two copies of the package.
 */
const BRAND = Symbol.for('bulwark.error');

export type BulwarkErrorCode =
  | 'BULWARK_ERROR'
  | 'INVALID_OPTION'
  | 'TIMEOUT'
  | 'BROKEN_CIRCUIT'
  | 'ISOLATED_CIRCUIT'
  | 'BULKHEAD_REJECTED'
  | 'RATE_LIMITED'
  | 'THROTTLED'
  | 'BUDGET_EXHAUSTED';

/** Whether this engine lets us skip the stack trace (V8, and Error.stackTraceLimit not frozen). */
const CAN_SKIP_STACK = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true;

interface BulwarkErrorOptions {
  code?: BulwarkErrorCode;
  retryAfterMs?: number | undefined;
  cause?: unknown;
  /**
   * Capture no stack trace. For load-shedding rejections: an outage raises them by the thousand per second, a
   * stack costs several µs each (more than the call they spare), and it would only point into the policy.
   */
  stackless?: boolean;
}

export class BulwarkError extends Error {
  readonly [BRAND]: BulwarkErrorCode;
  /** Milliseconds after which trying again may succeed, when the error implies "try later". */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: BulwarkErrorOptions = {}) {
    const limit = Error.stackTraceLimit;
    if (options.stackless === true && CAN_SKIP_STACK) Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.stackless === true && CAN_SKIP_STACK) Error.stackTraceLimit = limit;
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
  readonly option: string;
  constructor(option: string, message: string) {
    super(`Invalid option "${option}": ${message}`, { code: 'INVALID_OPTION' });
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/** A timeout policy's deadline passed before the operation settled. */
export class TimeoutError extends BulwarkError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options: { cause?: unknown } = {}) {
    super(`Operation timed out after ${timeoutMs} ms`, { code: 'TIMEOUT', cause: options.cause });
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** A circuit breaker is open (or half-open with every probe slot taken). */
export class BrokenCircuitError extends BulwarkError {
  constructor(message = 'Execution prevented because the circuit breaker is open', retryAfterMs?: number) {
    super(message, { code: 'BROKEN_CIRCUIT', retryAfterMs, stackless: true });
    this.name = 'BrokenCircuitError';
  }
}

/** A circuit breaker was isolated by hand (`isolate()`); it stays open until the handle is released. */
export class IsolatedCircuitError extends BulwarkError {
  constructor(message = 'Execution prevented because the circuit breaker is isolated') {
    super(message, { code: 'ISOLATED_CIRCUIT', stackless: true });
    this.name = 'IsolatedCircuitError';
  }
}

/** A bulkhead had no free slot and no queue room, or the queued call waited longer than `queueTimeout`. */
export class BulkheadRejectedError extends BulwarkError {
  readonly reason: 'full' | 'queueTimeout';
  constructor(reason: 'full' | 'queueTimeout', message?: string) {
    super(
      message ??
        (reason === 'full' ? 'Bulkhead capacity exceeded' : 'Timed out waiting in the bulkhead queue'),
      { code: 'BULKHEAD_REJECTED', stackless: true },
    );
    this.name = 'BulkheadRejectedError';
    this.reason = reason;
  }
}

/** A rate limiter could not admit the call (in reject mode, or not within `maxWait`). */
export class RateLimitedError extends BulwarkError {
  /** Which limit refused, e.g. 'requests/min' or the name the user gave it. */
  readonly limit: string | undefined;
  readonly key: string | undefined;
  constructor(
    retryAfterMs: number | undefined,
    options: { limit?: string; key?: string; message?: string } = {},
  ) {
    super(options.message ?? `Rate limit exceeded${options.limit ? ` (${options.limit})` : ''}`, {
      code: 'RATE_LIMITED',
      retryAfterMs,
      stackless: true,
    });
    this.name = 'RateLimitedError';
    this.limit = options.limit;
    this.key = options.key;
  }
}

/** Client-side adaptive throttling dropped the call to spare an unhealthy dependency. */
export class ThrottledError extends BulwarkError {
  constructor(message = 'Request throttled client-side: the dependency is rejecting most requests') {
    super(message, { code: 'THROTTLED', stackless: true });
    this.name = 'ThrottledError';
  }
}

function codeOf(value: unknown): BulwarkErrorCode | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { [BRAND]?: unknown })[BRAND];
  return typeof code === 'string' ? (code as BulwarkErrorCode) : undefined;
}

/** True for any Bulwark error, from any copy of the package. */
export function isBulwarkError(value: unknown): value is BulwarkError {
  return codeOf(value) !== undefined;
}

/** Builds a type guard for one error code; used by every error module. */
export function guardFor<E extends BulwarkError>(code: BulwarkErrorCode): (value: unknown) => value is E {
  return (value: unknown): value is E => codeOf(value) === code;
}

export const isInvalidOptionError = guardFor<InvalidOptionError>('INVALID_OPTION');
export const isTimeoutError = guardFor<TimeoutError>('TIMEOUT');
export const isBrokenCircuitError = guardFor<BrokenCircuitError>('BROKEN_CIRCUIT');
export const isIsolatedCircuitError = guardFor<IsolatedCircuitError>('ISOLATED_CIRCUIT');
export const isBulkheadRejectedError = guardFor<BulkheadRejectedError>('BULKHEAD_REJECTED');
export const isRateLimitedError = guardFor<RateLimitedError>('RATE_LIMITED');
export const isThrottledError = guardFor<ThrottledError>('THROTTLED');

/** Reads a usable "try again after" hint from any error-like value: a finite, non-negative number or undefined. */
export function retryAfterOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ms = (value as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
