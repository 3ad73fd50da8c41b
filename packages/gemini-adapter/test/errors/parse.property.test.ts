import { ApiError } from '@google/genai';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeminiFailure, parseDuration, parseGeminiError } from '../../src/index.js';

function checkFailure(failure: GeminiFailure): void {
  expect(failure).toBeInstanceOf(GeminiFailure);
  const ms = failure.retryAfterMs;
  if (ms !== undefined) {
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(0);
  }
  if (failure.retryInfoMs !== undefined) expect(Number.isFinite(failure.retryInfoMs)).toBe(true);
  expect(typeof failure.message).toBe('string');
}

/** Durations as servers might (mis)spell them. */
const durationText = fc.oneof(
  fc.double({ min: -1e12, max: Number.MAX_VALUE, noNaN: false }).map((n) => `${n}s`),
  fc.nat().map((n) => `${n}s`),
  fc.string(),
  fc.constantFrom('34.4s', '1e309s', '-5s', 'Infinitys', '.5s', '999999999999999999999999s'),
);

/** google.rpc.Status bodies with random codes, statuses and details. */
const rpcBody = fc.record(
  {
    code: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(429, 503, 500), fc.string()),
    status: fc.oneof(
      fc.constantFrom('RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL', 'NOT_FOUND'),
      fc.string(),
    ),
    message: fc.oneof(
      fc.string(),
      durationText.map((d) => `Please retry in ${d}.`),
      fc.constantFrom('<html><title>x</title></html>', 'per day', '{"error":'),
    ),
    details: fc.array(
      fc.oneof(
        durationText.map((retryDelay) => ({
          '@type': 'type.googleapis.com/google.rpc.RetryInfo',
          retryDelay,
        })),
        fc.record({
          '@type': fc.constant('type.googleapis.com/google.rpc.QuotaFailure'),
          violations: fc.array(fc.anything()),
        }),
        fc.anything(),
      ),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: [] },
);

/** The message shapes the SDK produces, around random bodies. */
const sdkMessage = rpcBody.chain((error) =>
  fc.constantFrom(
    JSON.stringify({ error }),
    `got status: ${String(error.status)}. ${JSON.stringify({ error })}`,
    JSON.stringify({
      error: { message: JSON.stringify({ error }), code: 503, status: 'Service Unavailable' },
    }),
    JSON.stringify({ error: { message: JSON.stringify({ error: { message: JSON.stringify({ error }) } }) } }),
  ),
);

describe('parseGeminiError properties', () => {
  it('never throws and gives a finite, non-negative retryAfterMs or none, for any value', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }),
        (value) => {
          checkFailure(parseGeminiError(value));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('holds for SDK-shaped errors with random bodies, statuses and contexts', () => {
    fc.assert(
      fc.property(
        sdkMessage,
        fc.integer({ min: -5, max: 700 }),
        fc.option(fc.double({ noNaN: false }), { nil: undefined }),
        (message, status, now) => {
          checkFailure(parseGeminiError(new ApiError({ message, status }), { now }));
          checkFailure(parseGeminiError(message, { now }));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('holds for network-shaped errors with random causes', () => {
    fc.assert(
      fc.property(fc.string(), fc.anything(), (message, cause) => {
        checkFailure(parseGeminiError(new TypeError(message, { cause })));
        checkFailure(parseGeminiError(Object.assign(new Error(message), { code: cause, errors: [cause] })));
      }),
    );
  });

  it('parseDuration returns undefined or a finite delay >= 0 that matches the seconds written', () => {
    fc.assert(
      fc.property(durationText, (text) => {
        const ms = parseDuration(text);
        if (ms === undefined) return;
        expect(Number.isFinite(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(Math.abs(ms - Number(text.trim().slice(0, -1)) * 1000)).toBeLessThan(0.001 + ms * 1e-12);
      }),
      { numRuns: 1000 },
    );
  });
});
