/**
 * Local refusals: ExecutionRejectedError and the policies' subclasses of it, with their guards. A module of its own
 * because the mark on ExecutionRejectedError's prototype (a computed key) keeps a bundler from dropping the class
 * when it is unused; here it is dropped with the whole module by an import that reaches no refusal.
 */
import { BulwarkError, type BulwarkErrorOptions, guardFor, REJECTED } from './base.js';

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

/**
 * A circuit breaker is open (or half-open with every probe slot taken). Its standard `cause` is the error that opened
 * the circuit, when an error did; undefined for a circuit opened by a result, a slow call, a `breakerControl`, the
 * fleet (`sync`) or restored from a snapshot.
 */
export class BrokenCircuitError extends ExecutionRejectedError {
  constructor(
    message = 'Execution prevented because the circuit breaker is open',
    retryAfterMs?: number,
    cause?: unknown,
  ) {
    super(message, { code: 'BROKEN_CIRCUIT', retryAfterMs, cause });
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
  declare readonly reason: 'full' | 'queueTimeout';
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
  declare readonly limit: string | undefined;
  /** The key (model, tenant...) that was limited; undefined for the shared key. */
  declare readonly key: string | undefined;
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

/** True for every local refusal (any subclass of ExecutionRejectedError), from any copy of the package. */
export function isExecutionRejectedError(value: unknown): value is ExecutionRejectedError {
  return (
    typeof value === 'object' && value !== null && (value as { [REJECTED]?: unknown })[REJECTED] === true
  );
}

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
