import { MAX_HINT_MS } from '@bulwark/http-status';
import { ApiError } from '@google/genai';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayFromText } from '../../src/errors/details.js';
import {
  blockedFailureOf,
  emptyFailureOf,
  GeminiFailure,
  parseDuration,
  parseGeminiError,
} from '../../src/index.js';
import { formatGoDuration, quotaError } from '../../src/testing/wire.js';

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

/** Delays to the nanosecond, from nothing to ten days. */
const delayMs = fc.integer({ min: 0, max: 10 * 86_400_000_000_000 }).map((ns) => ns / 1_000_000);

describe('the server delay of a 429', () => {
  it('a Go duration (how Gemini writes "retry in") parses back to the nanosecond', () => {
    fc.assert(
      fc.property(delayMs, (ms) => {
        const text = formatGoDuration(ms);
        expect(text).toMatch(/^(\d+h)?(\d+m)?[\d.]+(ns|\u00b5s|ms|s)$/);
        const parsed = retryDelayFromText(`Please retry in ${text}.`);
        expect(parsed).toBeDefined();
        expect(Math.abs(parsed! - ms)).toBeLessThan(1e-6 + ms * 1e-15);
      }),
      { numRuns: 1000 },
    );
  });

  it("is the exact delay of Gemini's 429 (whole-second RetryInfo, exact text): never less than either", () => {
    fc.assert(
      fc.property(
        delayMs.filter((ms) => ms <= 86_400_000),
        (ms) => {
          const body = { error: quotaError('gemini-2.5-flash', 'minute', 'requests', 5, ms) };
          const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }));
          expect(failure.kind).toBe('rateLimited');
          expect(failure.retryInfoMs).toBe(Math.floor(ms / 1000) * 1000);
          expect(failure.retryAfterMs).toBeGreaterThanOrEqual(failure.retryInfoMs!);
          expect(Math.abs(failure.retryAfterMs! - ms)).toBeLessThan(1e-6 + ms * 1e-15);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is the later of RetryInfo and the text, whatever each says, within [0, MAX_HINT_MS]', () => {
    fc.assert(
      fc.property(
        fc.option(durationText, { nil: undefined }),
        fc.option(
          fc.oneof(
            delayMs.map(formatGoDuration),
            fc.nat().map((n) => `${n} seconds`),
            fc.string(),
            fc.constantFrom('1e9s', '-3s', '5sec', '.5s', '1h1h', '99999999999h'),
          ),
          { nil: undefined },
        ),
        (retryDelay, text) => {
          const details =
            retryDelay === undefined
              ? []
              : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }];
          const message = text === undefined ? 'Quota exceeded.' : `Quota exceeded. Please retry in ${text}.`;
          const body = { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message, details } };
          const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }));
          const fromInfo = parseDuration(retryDelay);
          const fromText = retryDelayFromText(message);
          const hints = [fromInfo, fromText].filter((v): v is number => v !== undefined);
          expect(failure.retryAfterMs).toBe(hints.length === 0 ? undefined : Math.max(...hints));
          if (failure.retryAfterMs !== undefined) {
            expect(failure.retryAfterMs).toBeGreaterThanOrEqual(0);
            expect(failure.retryAfterMs).toBeLessThanOrEqual(MAX_HINT_MS);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

/** Candidates as Gemini (and garbage) might shape them. */
const part = fc.oneof(
  fc.record({ text: fc.oneof(fc.constant(''), fc.string()) }),
  fc.record({ text: fc.string(), thought: fc.boolean() }),
  fc.record({ functionCall: fc.record({ name: fc.string() }) }),
  fc.record({ inlineData: fc.oneof(fc.constant(null), fc.record({ mimeType: fc.string() })) }),
  fc.anything(),
);
const response = fc.record(
  {
    candidates: fc.oneof(
      fc.array(
        fc.record(
          {
            content: fc.oneof(
              fc.record({ role: fc.constant('model') }),
              fc.record({ role: fc.constant('model'), parts: fc.array(part, { maxLength: 3 }) }),
              fc.anything(),
            ),
            finishReason: fc.constantFrom('STOP', 'MAX_TOKENS', 'SAFETY', 'RECITATION', 'OTHER'),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
      fc.anything(),
    ),
    promptFeedback: fc.oneof(fc.record({ blockReason: fc.constantFrom('SAFETY', 'OTHER') }), fc.anything()),
    modelVersion: fc.string(),
  },
  { requiredKeys: [] },
);

describe('emptyFailureOf', () => {
  it('never throws; an empty answer is never a blocked one, and has no part with text, a call or media', () => {
    fc.assert(
      fc.property(fc.oneof(response, fc.anything()), (value) => {
        const failure = emptyFailureOf(value);
        if (failure === undefined) return;
        expect(failure.kind).toBe('empty');
        expect(blockedFailureOf(value)).toBeUndefined();
        const candidates = (value as { candidates?: unknown }).candidates;
        const parts = Array.isArray(candidates)
          ? candidates.flatMap((c) => {
              const p = (c as { content?: { parts?: unknown } } | null)?.content?.parts;
              return Array.isArray(p) ? p : [];
            })
          : [];
        for (const p of parts) {
          const t = (p as { text?: unknown } | null)?.text;
          expect(typeof t === 'string' && t !== '').toBe(false);
          expect((p as { functionCall?: unknown } | null)?.functionCall ?? undefined).toBeUndefined();
        }
      }),
      { numRuns: 1000 },
    );
  });
});
