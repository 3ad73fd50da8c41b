/**
 * One HTTP status table: the adapter takes what a status says about the dependency's health from
 * @bulwark/http-status's `classify`, so the two never disagree on which answers count against a breaker. Only the
 * statuses with a Gemini meaning of their own differ, and each is listed here.
 */
import { classify } from '@bulwark/http-status';
import { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { isBreakerFailure, parseGeminiError } from '../../src/index.js';

/** Gemini's own meaning: a 499 CANCELLED is sent by the server when its backend gives up under load. */
const GEMINI_SPECIFIC = new Set([499]);

const bare = (status: number) => parseGeminiError(new ApiError({ status, message: 'no body' }));

describe('one HTTP status table', () => {
  it('counts a bare HTTP error status against the breaker exactly when @bulwark/http-status does', () => {
    for (let status = 400; status <= 599; status++) {
      if (GEMINI_SPECIFIC.has(status)) continue;
      expect(isBreakerFailure(bare(status)), `HTTP ${status}`).toBe(classify(status).breakerFailure);
    }
    expect(isBreakerFailure(bare(499))).toBe(true);
    expect(classify(499).breakerFailure).toBe(false);
  });

  it('501 Not Implemented: never retried, and not a breaker failure in either package', () => {
    expect(classify(501)).toMatchObject({ kind: 'permanent', retryable: false, breakerFailure: false });
    const failure = bare(501);
    expect(failure.kind).toBe('clientError');
    expect(isBreakerFailure(failure)).toBe(false);
    const unimplemented = JSON.stringify({ error: { code: 501, status: 'UNIMPLEMENTED', message: 'x' } });
    expect(isBreakerFailure(parseGeminiError(new ApiError({ status: 501, message: unimplemented })))).toBe(
      false,
    );
  });
});
