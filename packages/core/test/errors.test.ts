import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  adaptiveThrottle,
  BrokenCircuitError,
  BudgetExhaustedError,
  BulkheadRejectedError,
  BulwarkError,
  circuitBreaker,
  consecutive,
  ExecutionRejectedError,
  InvalidOptionError,
  IsolatedCircuitError,
  isBrokenCircuitError,
  isBudgetExhaustedError,
  isBulkheadRejectedError,
  isBulwarkError,
  isExecutionRejectedError,
  isIsolatedCircuitError,
  isOverloadError,
  isRateLimitedError,
  isThrottledError,
  isTimeoutError,
  RateLimitedError,
  retryAfterOf,
  sleep,
  ThrottledError,
  TimeoutError,
} from '../src/index.js';
import { VirtualClock } from '../src/testing.js';

/** A refusal a custom policy might add: one class, nothing else edited. */
class QuotaRejectedError extends ExecutionRejectedError {
  constructor() {
    super('tenant quota spent', { code: 'TENANT_QUOTA', retryAfterMs: 60_000 });
    this.name = 'QuotaRejectedError';
  }
}

/** Every local refusal core raises, with its code and guard, plus a custom one. */
const rejections = [
  { make: () => new BrokenCircuitError(), code: 'BROKEN_CIRCUIT', guard: isBrokenCircuitError },
  { make: () => new IsolatedCircuitError(), code: 'ISOLATED_CIRCUIT', guard: isIsolatedCircuitError },
  {
    make: () => new BulkheadRejectedError('full'),
    code: 'BULKHEAD_REJECTED',
    guard: isBulkheadRejectedError,
  },
  { make: () => new RateLimitedError(10), code: 'RATE_LIMITED', guard: isRateLimitedError },
  { make: () => new ThrottledError(), code: 'THROTTLED', guard: isThrottledError },
  { make: () => new BudgetExhaustedError(), code: 'BUDGET_EXHAUSTED', guard: isBudgetExhaustedError },
  { make: () => new ExecutionRejectedError(), code: 'EXECUTION_REJECTED', guard: isExecutionRejectedError },
  {
    make: () => new QuotaRejectedError(),
    code: 'TENANT_QUOTA',
    guard: (value: unknown) => isBulwarkError(value) && value.code === 'TENANT_QUOTA',
  },
] as const;

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
      new BudgetExhaustedError(),
      new QuotaRejectedError(),
    ]) {
      expect(error.stack).toBe(`${error.name}: ${error.message}`);
      expect(Error.stackTraceLimit).toBe(before);
    }
    // Errors a user may need to trace keep their stack.
    expect(new TimeoutError(5).stack).toMatch(/\n\s+at /);
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
  });

  it('asked for one, a rejection keeps its stack', () => {
    const error = new ExecutionRejectedError('traced', { stackless: false });
    expect(error.stack).toMatch(/\n\s+at /);
  });
});

describe('errors: one hierarchy for local refusals', () => {
  it('every local refusal is an ExecutionRejectedError with its own code and guard', () => {
    for (const { make, code, guard } of rejections) {
      const error = make();
      expect(error).toBeInstanceOf(ExecutionRejectedError);
      expect(error).toBeInstanceOf(BulwarkError);
      expect(error.code).toBe(code);
      expect(guard(error)).toBe(true);
      expect(isExecutionRejectedError(error)).toBe(true);
      expect(isBulwarkError(error)).toBe(true);
      // Each guard is exact: a sibling's is false.
      for (const other of rejections) {
        if (other.code !== code && other.code !== 'EXECUTION_REJECTED')
          expect(other.guard(error)).toBe(false);
      }
    }
  });

  it('errors that are not refusals: the dependency was called, or nothing ran at all', () => {
    for (const error of [
      new TimeoutError(5),
      new InvalidOptionError('x', 'bad'),
      new BulwarkError('generic'),
      new Error('plain'),
      { code: 'BROKEN_CIRCUIT' },
      null,
      'EXECUTION_REJECTED',
    ]) {
      expect(isExecutionRejectedError(error)).toBe(false);
    }
    expect(new BulwarkError('generic').code).toBe('BULWARK_ERROR');
    expect(new BulwarkError('custom', { code: 'MY_CODE' }).code).toBe('MY_CODE');
  });

  it('guards recognise errors of another copy of the package, both ways', () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../dist/index.cjs') as typeof import('../src/index.js');
    const foreign = [
      new cjs.BrokenCircuitError(),
      new cjs.BulkheadRejectedError('queueTimeout'),
      new cjs.BudgetExhaustedError(),
    ];
    for (const error of foreign) {
      expect(error instanceof ExecutionRejectedError).toBe(false);
      expect(isExecutionRejectedError(error)).toBe(true);
      expect(isOverloadError(error)).toBe(true);
    }
    expect(isBudgetExhaustedError(foreign[2])).toBe(true);
    expect(cjs.isExecutionRejectedError(new QuotaRejectedError())).toBe(true);
    expect(cjs.isOverloadError(new ThrottledError())).toBe(true);
    expect(cjs.isExecutionRejectedError(new TimeoutError(1))).toBe(false);
  });

  it('the brands are registered symbols: a copy made by hand (another realm, another version) is recognised', () => {
    const code = Symbol.for('bulwark.error');
    const rejected = Symbol.for('bulwark.error.rejected');
    const copiedTimeout = { [code]: 'TIMEOUT' };
    expect(isTimeoutError(copiedTimeout)).toBe(true);
    expect(isBulwarkError(copiedTimeout)).toBe(true);
    expect(isExecutionRejectedError(copiedTimeout)).toBe(false);
    // A rejection class of another copy: its prototype carries the mark, its instances the code.
    const prototype = { [rejected]: true };
    const copiedRejection = Object.assign(Object.create(prototype), { [code]: 'RATE_LIMITED' });
    expect(isExecutionRejectedError(copiedRejection)).toBe(true);
    expect(isRateLimitedError(copiedRejection)).toBe(true);
    expect(isOverloadError(copiedRejection)).toBe(true);
    // A look-alike without the mark's exact value is not one.
    expect(isExecutionRejectedError({ [rejected]: 'yes' })).toBe(false);
  });

  it('isOverloadError: timeouts and every refusal (a custom one included), without a list to keep', () => {
    for (const { make } of rejections) expect(isOverloadError(make())).toBe(true);
    expect(isOverloadError(new TimeoutError(1))).toBe(true);
    expect(isOverloadError(new InvalidOptionError('x', 'y'))).toBe(false);
    expect(isOverloadError(new BulwarkError('generic'))).toBe(false);
  });
});

describe('errors: what the policies read from the hierarchy', () => {
  it("a default breaker counts no local refusal as the dependency's failure, a custom one included", async () => {
    const breaker = circuitBreaker({ strategy: consecutive(1), clock: new VirtualClock() });
    for (const { make } of rejections) {
      const error = make();
      await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
      expect(breaker.state).toBe('closed');
      expect(breaker.recordFailure(error)).toBe(false);
    }
    // An inner breaker's refusal (open circuit) is not counted by the breaker around it either: the failures
    // that opened the inner one already went through the outer one.
    const inner = circuitBreaker({ strategy: consecutive(1), clock: new VirtualClock() });
    await expect(inner.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const outer = circuitBreaker({ strategy: consecutive(1), clock: new VirtualClock() });
    await expect(outer.execute(() => inner.execute(() => 'never'))).rejects.toBeInstanceOf(
      BrokenCircuitError,
    );
    expect(outer.state).toBe('closed');
    await expect(breaker.execute(() => Promise.reject(new TimeoutError(10)))).rejects.toBeInstanceOf(
      TimeoutError,
    );
    expect(breaker.state).toBe('open');
  });

  it('every local refusal lowers an adaptive concurrency limit, a custom one included', async () => {
    for (const { make } of rejections) {
      const clock = new VirtualClock();
      const policy = adaptiveConcurrency({ initialLimit: 8, clock });
      const error = make();
      const calls = [0, 1, 2, 3].map((i) =>
        policy
          .execute(async (ctx) => {
            await sleep(10 + i, ctx.signal, clock);
            throw error;
          })
          .catch((reason: unknown) => reason),
      );
      await clock.runAll();
      expect(await Promise.all(calls)).toEqual([error, error, error, error]);
      expect(policy.limit).toBeLessThan(8);
    }
  });

  it('every local refusal counts as not accepted by an adaptive throttle', async () => {
    for (const { make } of rejections) {
      const throttle = adaptiveThrottle({ clock: new VirtualClock(), random: () => 1 });
      for (let i = 0; i < 10; i++) await throttle.execute(() => Promise.reject(make())).catch(() => {});
      expect(throttle.stats()).toMatchObject({ requests: 10, accepts: 0 });
    }
  });
});
