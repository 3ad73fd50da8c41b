import { describe, expect, it } from 'vitest';
import {
  BrokenCircuitError,
  BudgetExhaustedError,
  BulkheadRejectedError,
  BulwarkError,
  ExecutionRejectedError,
  IsolatedCircuitError,
  isBulwarkError,
  isExecutionRejectedError,
  isRateLimitedError,
  RateLimitedError,
  ThrottledError,
} from '../../src/index.js';

/** A stack with at least one frame (a stackless error's stack is only its first line). */
const FRAMES = /\n\s+at /;

describe('BulwarkError', () => {
  it('has its name, message and default code, and a stack', () => {
    const error = new BulwarkError('broken');
    expect(error.name).toBe('BulwarkError');
    expect(error.message).toBe('broken');
    expect(error.code).toBe('BULWARK_ERROR');
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.stack).toMatch(FRAMES);
  });

  it('has no own cause unless given one (like Error), and keeps the one given', () => {
    expect(Object.hasOwn(new BulwarkError('x'), 'cause')).toBe(false);
    expect(Object.hasOwn(new BulwarkError('x', { cause: undefined }), 'cause')).toBe(false);
    const cause = new Error('root');
    const error = new BulwarkError('x', { cause, retryAfterMs: 30 });
    expect(error.cause).toBe(cause);
    expect(error.retryAfterMs).toBe(30);
  });

  it('stackless: true captures no stack, and leaves the stack trace limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const error = new BulwarkError('quiet', { stackless: true });
    expect(error.stack).toBe('BulwarkError: quiet');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new BulwarkError('loud', { stackless: false }).stack).toMatch(FRAMES);
  });
});

describe('local refusals: default messages, names, codes and fields', () => {
  it('ExecutionRejectedError', () => {
    const error = new ExecutionRejectedError();
    expect(error.message).toBe('Execution rejected by a policy');
    expect(error.name).toBe('ExecutionRejectedError');
    expect(error.code).toBe('EXECUTION_REJECTED');
    // Its options reach BulwarkError whether or not they name a code.
    const cause = new Error('why');
    const plain = new ExecutionRejectedError('no', { retryAfterMs: 40, cause });
    expect([plain.code, plain.retryAfterMs, plain.cause]).toEqual(['EXECUTION_REJECTED', 40, cause]);
    const coded = new ExecutionRejectedError('no', { code: 'QUOTA', retryAfterMs: 50 });
    expect([coded.code, coded.retryAfterMs]).toEqual(['QUOTA', 50]);
  });

  it('BrokenCircuitError keeps its retry hint and cause', () => {
    const cause = new Error('down');
    const error = new BrokenCircuitError(undefined, 1_000, cause);
    expect(error.message).toBe('Execution prevented because the circuit breaker is open');
    expect(error.name).toBe('BrokenCircuitError');
    expect(error.retryAfterMs).toBe(1_000);
    expect(error.cause).toBe(cause);
    expect(Object.hasOwn(new BrokenCircuitError(), 'cause')).toBe(false);
  });

  it('IsolatedCircuitError, ThrottledError and BudgetExhaustedError', () => {
    const isolated = new IsolatedCircuitError();
    expect([isolated.name, isolated.message]).toEqual([
      'IsolatedCircuitError',
      'Execution prevented because the circuit breaker is isolated',
    ]);
    const throttled = new ThrottledError();
    expect([throttled.name, throttled.message]).toEqual([
      'ThrottledError',
      'Request throttled client-side: the dependency is rejecting most requests',
    ]);
    const budget = new BudgetExhaustedError();
    expect([budget.name, budget.message]).toEqual([
      'BudgetExhaustedError',
      'Execution prevented because the retry budget is exhausted',
    ]);
    expect(new ThrottledError('mine').message).toBe('mine');
  });

  it('BulkheadRejectedError says which way it refused', () => {
    const full = new BulkheadRejectedError('full');
    expect([full.name, full.reason, full.message]).toEqual([
      'BulkheadRejectedError',
      'full',
      'Bulkhead capacity exceeded',
    ]);
    const waited = new BulkheadRejectedError('queueTimeout');
    expect([waited.reason, waited.message]).toEqual([
      'queueTimeout',
      'Timed out waiting in the bulkhead queue',
    ]);
    expect(new BulkheadRejectedError('full', 'mine').message).toBe('mine');
  });

  it('RateLimitedError names the limit in its message when it has one', () => {
    const bare = new RateLimitedError(undefined);
    expect([bare.name, bare.message, bare.limit, bare.key, bare.retryAfterMs]).toEqual([
      'RateLimitedError',
      'Rate limit exceeded',
      undefined,
      undefined,
      undefined,
    ]);
    const named = new RateLimitedError(250, { limit: 'requests/min', key: 'gemini' });
    expect([named.message, named.limit, named.key, named.retryAfterMs]).toEqual([
      'Rate limit exceeded (requests/min)',
      'requests/min',
      'gemini',
      250,
    ]);
    expect(new RateLimitedError(1, { limit: '' }).message).toBe('Rate limit exceeded');
    expect(new RateLimitedError(1, { limit: 'rpm', message: 'slow down' }).message).toBe('slow down');
  });
});

describe('guards on values that are not errors', () => {
  it('a brand that is not a string is no code', () => {
    const brand = Symbol.for('bulwark.error');
    expect(isBulwarkError({ [brand]: 42 })).toBe(false);
    expect(isBulwarkError({ [brand]: undefined })).toBe(false);
    expect(isBulwarkError({ [brand]: '' })).toBe(true);
    expect(isRateLimitedError({ [brand]: 'RATE_LIMITED' })).toBe(true);
    expect(isRateLimitedError(undefined)).toBe(false);
  });

  it('isExecutionRejectedError: primitives and functions are not refusals', () => {
    const rejected = Symbol.for('bulwark.error.rejected');
    for (const value of [undefined, null, 0, 'EXECUTION_REJECTED', true]) {
      expect(isExecutionRejectedError(value)).toBe(false);
    }
    expect(isExecutionRejectedError({ [rejected]: true })).toBe(true);
  });
});

describe('retryAfterMs', () => {
  it('keeps a finite hint >= 0 and drops any other (as documented), so no error carries a wrong delay', () => {
    expect(new BulwarkError('x', { retryAfterMs: 0 }).retryAfterMs).toBe(0);
    expect(new RateLimitedError(1.5).retryAfterMs).toBe(1.5);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as never]) {
      expect(new BulwarkError('x', { retryAfterMs: bad }).retryAfterMs).toBeUndefined();
      expect(new BrokenCircuitError(undefined, bad).retryAfterMs).toBeUndefined();
      expect(new RateLimitedError(bad).retryAfterMs).toBeUndefined();
    }
  });
});
