/**
 * retryAfterOf and isOverloadError read error-like values that are objects only: null, primitives and functions
 * carrying the same fields are never read (no throw, no hint, no overload), whatever was thrown.
 */
import { describe, expect, it } from 'vitest';
import { isOverloadError, retryAfterOf } from '../src/index.js';

describe('error-like values that are not objects', () => {
  it('retryAfterOf: null, primitives and functions give no hint', () => {
    expect(retryAfterOf(null)).toBeUndefined();
    expect(retryAfterOf(250)).toBeUndefined();
    expect(retryAfterOf('250')).toBeUndefined();
    expect(retryAfterOf(Object.assign(() => {}, { retryAfterMs: 250 }))).toBeUndefined();
    expect(retryAfterOf({ retryAfterMs: 250 })).toBe(250);
  });

  it('isOverloadError: a function carrying an overload status or hint is no overload; the same object is', () => {
    expect(isOverloadError(Object.assign(() => {}, { status: 429 }))).toBe(false);
    expect(isOverloadError(Object.assign(() => {}, { statusCode: 503 }))).toBe(false);
    expect(isOverloadError(Object.assign(() => {}, { retryAfterMs: 1_000 }))).toBe(false);
    expect(isOverloadError({ status: 429 })).toBe(true);
    expect(isOverloadError(undefined)).toBe(false);
    expect(isOverloadError(503)).toBe(false);
  });
});
