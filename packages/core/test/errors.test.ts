import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  BulwarkError,
  IsolatedCircuitError,
  isBrokenCircuitError,
  isBulwarkError,
  isTimeoutError,
  RateLimitedError,
  retryAfterOf,
  ThrottledError,
  TimeoutError,
} from '../src/index.js';

describe('errors', () => {
  it('type guards work by brand, across duplicate copies of the package (ESM source vs CJS build)', () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../dist/index.cjs') as typeof import('../src/index.js');
    const foreign = new cjs.TimeoutError(5);
    expect(foreign instanceof TimeoutError).toBe(false); // a different class object...
    expect(isTimeoutError(foreign)).toBe(true); // ...still recognised
    expect(isBulwarkError(foreign)).toBe(true);
    expect(cjs.isTimeoutError(new TimeoutError(1))).toBe(true);
  });

  it('guards reject look-alikes and non-objects', () => {
    expect(isTimeoutError(new Error('Operation timed out'))).toBe(false);
    expect(isTimeoutError({ name: 'TimeoutError' })).toBe(false);
    expect(isBulwarkError(null)).toBe(false);
    expect(isBulwarkError('TIMEOUT')).toBe(false);
    expect(isBrokenCircuitError(new TimeoutError(1))).toBe(false);
  });

  it('errors that mean "try later" expose retryAfterMs', () => {
    expect(new BrokenCircuitError(undefined, 1_500).retryAfterMs).toBe(1_500);
    expect(new RateLimitedError(250, { limit: 'rpm' }).retryAfterMs).toBe(250);
    expect(retryAfterOf(new RateLimitedError(250))).toBe(250);
    expect(retryAfterOf({ retryAfterMs: -1 })).toBeUndefined();
    expect(retryAfterOf({ retryAfterMs: Number.NaN })).toBeUndefined();
    expect(retryAfterOf({ retryAfterMs: '5' })).toBeUndefined();
    expect(retryAfterOf(undefined)).toBeUndefined();
  });

  it('keeps name, message, code and cause', () => {
    const cause = new Error('root');
    const error = new TimeoutError(300, { cause });
    expect(error).toBeInstanceOf(BulwarkError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TimeoutError');
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/300 ms/);
    expect(error.cause).toBe(cause);
  });

  it('load-shedding rejections capture no stack trace, and leave Error.stackTraceLimit as it was', () => {
    const before = Error.stackTraceLimit;
    for (const error of [
      new BrokenCircuitError(),
      new IsolatedCircuitError(),
      new BulkheadRejectedError('full'),
      new RateLimitedError(10),
      new ThrottledError(),
    ]) {
      expect(error.stack).toBe(`${error.name}: ${error.message}`);
      expect(Error.stackTraceLimit).toBe(before);
    }
    // Errors a user may need to trace keep their stack.
    expect(new TimeoutError(5).stack).toMatch(/\n\s+at /);
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
  });
});
