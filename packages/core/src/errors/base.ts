/**
 * The base of every Bulwark error: its brand, its code and the guards built on them. See errors.ts for the
 * hierarchy; a module of its own so an import that needs no refusal class bundles none.
 */
import { asFiniteNonNegative } from '../internal/finite.js';

export const BRAND = /* @__PURE__ */ Symbol.for('bulwark.error');
/** Set on ExecutionRejectedError's prototype: inherited by every subclass, read the same by every copy. */
export const REJECTED = /* @__PURE__ */ Symbol.for('bulwark.error.rejected');

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
  declare readonly [BRAND]: BulwarkErrorCode;
  /** Milliseconds after which trying again may succeed, when the error implies "try later". */
  declare readonly retryAfterMs: number | undefined;

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
    this.retryAfterMs = asFiniteNonNegative(options.retryAfterMs);
  }

  /** Stable machine-readable code, also readable across package copies. */
  get code(): BulwarkErrorCode {
    return this[BRAND];
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
