/**
 * One cap on server delay hints for every Bulwark client: @bulwark/http-status's MAX_HINT_MS (2^31 - 1 seconds).
 * A longer hint is nonsense and is ignored; anything up to it is the server's word, so a retry refuses to wait
 * that long (the adapter fails over) instead of retrying at its own pace against a server that asked for time.
 */
import { MAX_HINT_MS, parseRetryAfter } from '@bulwark/http-status';
import { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { retryDelayFromText } from '../../src/errors/details.js';
import { parseDuration, parseGeminiError } from '../../src/index.js';

const MAX_SECONDS = MAX_HINT_MS / 1000;

describe('MAX_HINT_MS, shared with @bulwark/http-status', () => {
  it('RetryInfo, the "retry in" text and Retry-After accept the same longest hint, and refuse one past it', () => {
    expect(parseDuration(`${MAX_SECONDS}s`)).toBe(MAX_HINT_MS);
    expect(retryDelayFromText(`Please retry in ${MAX_SECONDS}s.`)).toBe(MAX_HINT_MS);
    expect(parseRetryAfter(String(MAX_SECONDS))).toBe(MAX_HINT_MS);
    expect(parseDuration(`${MAX_SECONDS + 1}s`)).toBeUndefined();
    expect(retryDelayFromText(`Please retry in ${MAX_SECONDS + 1}s.`)).toBeUndefined();
    expect(parseRetryAfter(String(MAX_SECONDS + 1))).toBeUndefined();
  });

  it('a two-year RetryInfo is the server asking for two years, not garbage', () => {
    const twoYears = 2 * 365 * 86_400;
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'Quota exceeded.',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${twoYears}s` }],
      },
    };
    const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }));
    expect(failure.retryAfterMs).toBe(twoYears * 1000);
  });
});
