/**
 * isOverloadError reads an HTTP-like code from `status` when it is a number, else from `statusCode`, and only 429
 * and 503 count; TimeoutError and InvalidOptionError say what happened in their message.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, isOverloadError, TimeoutError } from '../src/index.js';

describe('isOverloadError: the status it reads', () => {
  it.each([
    [{ status: 503 }, true],
    [{ statusCode: 429 }, true],
    [{ status: 'busy', statusCode: 429 }, true],
    [{ status: 200, statusCode: 429 }, false],
    [{ status: 404, statusCode: 503 }, false],
    [{ status: '429' }, false],
    [{ statusCode: 500 }, false],
    [{}, false],
  ])('%o -> %s', (error, overload) => {
    expect(isOverloadError(error)).toBe(overload);
  });
});

describe('error messages', () => {
  it('TimeoutError names the timeout that passed', () => {
    expect(new TimeoutError(300).message).toBe('Operation timed out after 300 ms');
  });

  it('InvalidOptionError names the option, then says what was wrong', () => {
    const error = new InvalidOptionError('maxAttempts', 'expected an integer >= 1, got 0');
    expect(error.message).toBe('Invalid option "maxAttempts": expected an integer >= 1, got 0');
    expect(error.name).toBe('InvalidOptionError');
    expect(error.code).toBe('INVALID_OPTION');
  });
});
