import { isInvalidOptionError, retryAfterOf, TimeoutError } from '@bulwark/core';
import { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';
import {
  blockedFailureOf,
  emptyFailureOf,
  GeminiFailure,
  isGeminiFailure,
  parseDuration,
  parseGeminiError,
} from '../../src/index.js';

// Errors are built with the SDK's own ApiError and in the exact message shapes its code produces
// (throwErrorIfNotOK / throwIfStreamErrorChunk); test/sdk/ checks the same through real HTTP.

const overloadedBody = {
  error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
};

function quota429(quotaId: string, retryDelay: string, extraText = ''): Record<string, unknown> {
  return {
    error: {
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      message: `You exceeded your current quota.${extraText}`,
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
              quotaId,
              quotaDimensions: { location: 'global', model: 'gemini-2.5-pro' },
              quotaValue: '50',
            },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.Help', links: [] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
      ],
    },
  };
}

function doubleWrapped(status: number, statusText: string, raw: string): ApiError {
  return new ApiError({
    status,
    message: JSON.stringify({ error: { message: raw, code: status, status: statusText } }),
  });
}

describe('parseGeminiError: HTTP error responses', () => {
  it('reads the plain JSON message of a 503', () => {
    const failure = parseGeminiError(new ApiError({ status: 503, message: JSON.stringify(overloadedBody) }));
    expect(failure).toBeInstanceOf(GeminiFailure);
    expect(failure).toMatchObject({
      kind: 'overloaded',
      status: 503,
      rpcStatus: 'UNAVAILABLE',
      serverMessage: 'The model is overloaded. Please try again later.',
      retryAfterMs: undefined,
      transient: true,
    });
    expect(failure.message).toBe('Gemini 503 UNAVAILABLE: The model is overloaded. Please try again later.');
    expect(failure.cause).toBeInstanceOf(ApiError);
  });

  it('reads a per-minute 429: fractional RetryInfo, quota id, quota value and model', () => {
    const body = quota429('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '34.4s');
    const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }));
    expect(failure).toMatchObject({
      kind: 'rateLimited',
      rpcStatus: 'RESOURCE_EXHAUSTED',
      retryAfterMs: 34_400,
      retryInfoMs: 34_400,
      quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
      quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
      quotaValue: 50,
      model: 'gemini-2.5-pro',
    });
    expect(retryAfterOf(failure)).toBe(34_400);
  });

  it('keeps nanosecond RetryInfo delays to the microsecond', () => {
    const body = quota429('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '45.837906927s');
    const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }));
    expect(failure.retryAfterMs).toBeCloseTo(45_837.907, 3);
  });

  it('falls back to the "Please retry in Xs" text when there is no RetryInfo', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message:
          'Quota exceeded for metric: x, limit: 5, model: gemini-2.5-flash\nPlease retry in 48.805646254s.',
      },
    };
    const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }));
    expect(failure.kind).toBe('rateLimited');
    expect(failure.retryAfterMs).toBeCloseTo(48_805.646, 3);
    expect(failure.retryInfoMs).toBeUndefined();
    expect(failure.model).toBe('gemini-2.5-flash');
  });

  it('takes the later of RetryInfo and the text: "58s" and "retry in 58.217843437s" wait 58.217843437 s', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message:
          'Quota exceeded for metric: x, limit: 5, model: gemini-2.5-flash\nPlease retry in 58.217843437s.',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '58s' }],
      },
    };
    const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }));
    expect(failure).toMatchObject({ retryInfoMs: 58_000, retryAfterMs: 58_217.843437 });
    // Below a second, RetryInfo says "0s" and the text counts in milliseconds.
    body.error.message = 'Quota exceeded.\nPlease retry in 593.203166ms.';
    body.error.details[0]!.retryDelay = '0s';
    expect(parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }))).toMatchObject({
      retryInfoMs: 0,
      retryAfterMs: 593.203166,
    });
    // Above a minute, Go writes minutes: "1m2.5s".
    body.error.message = 'Please retry in 1m2.5s.';
    body.error.details[0]!.retryDelay = '62s';
    expect(parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) })).retryAfterMs).toBe(
      62_500,
    );
  });

  it('treats a per-day quota as exhausted until midnight Pacific, whatever its short RetryInfo says', () => {
    const body = quota429('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '23.7s');
    // 2026-11-22 20:00 UTC = 12:00 PST; the quota returns at 2026-11-23 08:00 UTC.
    const now = Date.UTC(2026, 10, 22, 20, 0, 0);
    const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }), { now });
    expect(failure.kind).toBe('dailyQuotaExhausted');
    expect(failure.transient).toBe(false);
    expect(failure.retryInfoMs).toBe(23_700);
    expect(failure.retryAfterMs).toBe(12 * 3_600_000);
    expect(failure.quotaId).toBe('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
  });

  it('finds the per-day violation among several', () => {
    const body = quota429('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '10s');
    const details = (body.error as { details: unknown[] }).details;
    (details[0] as { violations: unknown[] }).violations.push({
      quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
      quotaDimensions: { model: 'gemini-2.5-pro' },
    });
    const failure = parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) }));
    expect(failure.kind).toBe('dailyQuotaExhausted');
  });

  describe('a 429 "limit: 0": no quota at all for the model, never back by waiting', () => {
    // As Gemini sends it (gemini-2.0-flash on a tier without it): "limit: 0" per metric, violations without
    // quotaValue, Help first.
    const line = (metric: string) =>
      `\n* Quota exceeded for metric: generativelanguage.googleapis.com/${metric}, limit: 0, model: gemini-2.0-flash`;
    const violation = (quotaId: string, metric: string) => ({
      quotaMetric: `generativelanguage.googleapis.com/${metric}`,
      quotaId,
      quotaDimensions: { location: 'global', model: 'gemini-2.0-flash' },
    });
    const body = (violations: unknown[], lines: string) => ({
      error: {
        code: 429,
        message: `You exceeded your current quota, please check your plan and billing details.${lines}\nPlease retry in 10.689924287s.`,
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.Help', links: [] },
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '10s' },
        ],
      },
    });
    const perMinute = [
      violation(
        'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
        'generate_content_free_tier_requests',
      ),
      violation(
        'GenerateContentInputTokensPerModelPerMinute-FreeTier',
        'generate_content_free_tier_input_token_count',
      ),
    ];
    const lines =
      line('generate_content_free_tier_requests') + line('generate_content_free_tier_input_token_count');
    const parse = (b: unknown) =>
      parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(b) }), { now });
    const now = Date.UTC(2026, 10, 22, 20); // 12:00 PST
    const untilMidnight = 12 * 3_600_000;

    it('with per-minute violations only: exhausted until midnight Pacific, quotaValue 0', () => {
      expect(parse(body(perMinute, lines))).toMatchObject({
        kind: 'dailyQuotaExhausted',
        quotaValue: 0,
        retryAfterMs: untilMidnight,
        retryInfoMs: 10_000,
        model: 'gemini-2.0-flash',
        transient: false,
      });
    });

    it('with the per-day violation too, as usually sent', () => {
      const all = [
        violation('GenerateRequestsPerDayPerProjectPerModel-FreeTier', 'generate_content_free_tier_requests'),
        ...perMinute,
      ];
      expect(parse(body(all, lines))).toMatchObject({ kind: 'dailyQuotaExhausted', quotaValue: 0 });
    });

    it('from quotaValue "0" alone, or from the text alone', () => {
      const zero = [{ ...perMinute[0]!, quotaValue: '0' }];
      expect(parse(body(zero, ''))).toMatchObject({ kind: 'dailyQuotaExhausted', quotaValue: 0 });
      expect(parse({ error: { ...body([], lines).error, details: [] } })).toMatchObject({
        kind: 'dailyQuotaExhausted',
        quotaValue: 0,
      });
    });

    it('but a real limit ("limit: 5", quotaValue "10", "limit: 0.5") stays a per-minute 429', () => {
      const five = lines.replaceAll('limit: 0', 'limit: 5');
      expect(parse(body(perMinute, five)).kind).toBe('rateLimited');
      expect(parse(body([{ ...perMinute[0]!, quotaValue: '10' }], five)).kind).toBe('rateLimited');
      expect(parse(body(perMinute, lines.replaceAll('limit: 0', 'limit: 0.5'))).kind).toBe('rateLimited');
    });
  });

  it('reads a daily quota from the message text when no details came', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: "Quota exceeded for quota metric 'Generate Content API requests per day'",
      },
    };
    expect(parseGeminiError(new ApiError({ status: 429, message: JSON.stringify(body) })).kind).toBe(
      'dailyQuotaExhausted',
    );
  });

  it.each([
    [500, 'INTERNAL', 'serverError'],
    [504, 'DEADLINE_EXCEEDED', 'deadline'],
    [400, 'INVALID_ARGUMENT', 'clientError'],
    [401, 'UNAUTHENTICATED', 'clientError'],
    [403, 'PERMISSION_DENIED', 'clientError'],
    [404, 'NOT_FOUND', 'notFound'],
    [501, 'UNIMPLEMENTED', 'clientError'],
    [499, 'CANCELLED', 'serverError'],
  ])('classifies %i %s as %s', (status, rpcStatus, kind) => {
    const message = JSON.stringify({ error: { code: status, status: rpcStatus, message: 'x' } });
    const failure = parseGeminiError(new ApiError({ status, message }));
    expect(failure.kind).toBe(kind);
    expect(failure.rpcStatus).toBe(rpcStatus);
  });

  it('classifies a 499 CANCELLED the server sent as a serverError, not as the caller abort', () => {
    // As seen under heavy usage (gemini-cli #20309): the client never cancelled.
    const body = [
      {
        error: {
          code: 499,
          message: 'The operation was cancelled.',
          errors: [{ message: 'The operation was cancelled.', domain: 'global', reason: 'backendError' }],
          status: 'CANCELLED',
        },
      },
    ];
    const caller = new AbortController();
    const failure = parseGeminiError(new ApiError({ status: 499, message: JSON.stringify(body) }), {
      signal: caller.signal,
    });
    expect(failure).toMatchObject({
      kind: 'serverError',
      status: 499,
      rpcStatus: 'CANCELLED',
      transient: true,
    });
    expect(failure.serverMessage).toBe('The operation was cancelled.');
    expect(parseGeminiError(new ApiError({ status: 499, message: 'no body' })).kind).toBe('serverError');
  });

  it.each([
    [502, 'serverError'],
    [503, 'overloaded'],
    [504, 'deadline'],
    [408, 'deadline'],
    [429, 'rateLimited'],
    [418, 'clientError'],
    [599, 'serverError'],
  ])('classifies a bare HTTP %i as %s', (status, kind) => {
    expect(parseGeminiError(new ApiError({ status, message: 'no body' })).kind).toBe(kind);
  });

  it('trusts the rpc status over an HTTP status a proxy rewrote', () => {
    const failure = parseGeminiError(new ApiError({ status: 500, message: JSON.stringify(overloadedBody) }));
    expect(failure.kind).toBe('overloaded');
    expect(failure.status).toBe(500);
  });

  it('takes the model of a 404 from its message', () => {
    const message = JSON.stringify({
      error: {
        code: 404,
        status: 'NOT_FOUND',
        message:
          'models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent.',
      },
    });
    expect(parseGeminiError(new ApiError({ status: 404, message })).model).toBe('gemini-9-ultra');
  });

  it('uses the context model when the error names none, and never invents a retry hint for client errors', () => {
    const message = JSON.stringify({
      error: { code: 400, status: 'INVALID_ARGUMENT', message: 'retry in 5s' },
    });
    const failure = parseGeminiError(new ApiError({ status: 400, message }), { model: 'gemini-2.5-flash' });
    expect(failure.model).toBe('gemini-2.5-flash');
    expect(failure.retryAfterMs).toBeUndefined();
  });
});

describe('parseGeminiError: wrapped and non-JSON bodies', () => {
  it('unwraps a JSON body sent as text/plain (double-wrapped)', () => {
    const failure = parseGeminiError(
      doubleWrapped(503, 'Service Unavailable', JSON.stringify(overloadedBody)),
    );
    expect(failure).toMatchObject({ kind: 'overloaded', rpcStatus: 'UNAVAILABLE', status: 503 });
    expect(failure.serverMessage).toBe('The model is overloaded. Please try again later.');
  });

  it('unwraps a pretty-printed 429 with details inside the double wrap', () => {
    const raw = JSON.stringify(
      quota429('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '2s'),
      null,
      2,
    );
    const failure = parseGeminiError(doubleWrapped(429, 'Too Many Requests', raw));
    expect(failure).toMatchObject({ kind: 'rateLimited', retryAfterMs: 2000, model: 'gemini-2.5-pro' });
  });

  it('reads an HTML 502 page as a server error with readable text', () => {
    const html =
      '<!DOCTYPE html>\n<html lang=en><title>Error 502 (Server Error)!!1</title><p><b>502.</b> That’s an error.';
    const failure = parseGeminiError(doubleWrapped(502, 'Bad Gateway', html));
    expect(failure).toMatchObject({ kind: 'serverError', status: 502, rpcStatus: undefined });
    expect(failure.serverMessage).toContain('Error 502 (Server Error)!!1');
    expect(failure.serverMessage).not.toContain('<');
  });

  it('keeps an HTTP reason phrase out of rpcStatus', () => {
    const failure = parseGeminiError(doubleWrapped(503, 'Service Unavailable', 'upstream connect error'));
    expect(failure).toMatchObject({
      kind: 'overloaded',
      rpcStatus: undefined,
      serverMessage: 'upstream connect error',
    });
  });

  it('reads the stream form "got status: X. {json}"', () => {
    const message = `got status: UNAVAILABLE. ${JSON.stringify(overloadedBody)}`;
    const failure = parseGeminiError(new ApiError({ status: 503, message }));
    expect(failure).toMatchObject({ kind: 'overloaded', rpcStatus: 'UNAVAILABLE' });
  });

  it('reads a 429 in stream form with its RetryInfo', () => {
    const body = quota429('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '0.5s');
    const failure = parseGeminiError(
      new ApiError({ status: 429, message: `got status: RESOURCE_EXHAUSTED. ${JSON.stringify(body)}` }),
    );
    expect(failure).toMatchObject({ kind: 'rateLimited', retryAfterMs: 500 });
  });

  it('accepts an already-parsed body, a bare status object, an array body and a message string', () => {
    expect(parseGeminiError(overloadedBody).kind).toBe('overloaded');
    expect(parseGeminiError(overloadedBody.error).kind).toBe('overloaded');
    expect(parseGeminiError([overloadedBody]).kind).toBe('overloaded');
    expect(parseGeminiError(JSON.stringify(overloadedBody)).kind).toBe('overloaded');
  });

  it('reads network failures of the deprecated SDK and of node-fetch as network errors', () => {
    class GoogleGenerativeAIError extends Error {
      constructor(message: string) {
        super(`[GoogleGenerativeAI Error]: ${message}`);
        this.name = 'GoogleGenerativeAIError';
      }
    }
    const legacy = new GoogleGenerativeAIError(
      'Error fetching from https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash-exp:generateContent: fetch failed',
    );
    expect(parseGeminiError(legacy)).toMatchObject({
      kind: 'network',
      networkCode: undefined,
      transient: true,
    });
    const prematureClose = Object.assign(
      new Error(
        'Invalid response body while trying to fetch https://generativelanguage.googleapis.com/v1beta/models/m:generateContent: Premature close',
      ),
      {
        name: 'FetchError',
        type: 'system',
        errno: 'ERR_STREAM_PREMATURE_CLOSE',
        code: 'ERR_STREAM_PREMATURE_CLOSE',
      },
    );
    expect(parseGeminiError(prematureClose)).toMatchObject({
      kind: 'network',
      networkCode: 'ERR_STREAM_PREMATURE_CLOSE',
    });
  });

  it('reads the deprecated SDK shape (status + errorDetails)', () => {
    const legacy = Object.assign(new Error('[GoogleGenerativeAI Error]: [429 Too Many Requests] quota'), {
      status: 429,
      statusText: 'Too Many Requests',
      errorDetails: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }],
    });
    expect(parseGeminiError(legacy)).toMatchObject({ kind: 'rateLimited', retryAfterMs: 7000 });
  });
});

describe('parseGeminiError: errors without a response', () => {
  it('reads fetch failed with its cause code as a network failure', () => {
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    expect(parseGeminiError(error)).toMatchObject({
      kind: 'network',
      networkCode: 'ECONNRESET',
      transient: true,
    });
  });

  it('finds a code inside an AggregateError cause (several addresses refused)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = new TypeError('fetch failed', { cause: new AggregateError([refused]) });
    expect(parseGeminiError(error).networkCode).toBe('ECONNREFUSED');
  });

  it('reads "terminated" (socket closed mid-body) and a truncated stream as network failures', () => {
    const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(parseGeminiError(new TypeError('terminated', { cause }))).toMatchObject({
      kind: 'network',
      networkCode: 'UND_ERR_SOCKET',
    });
    expect(parseGeminiError(new Error('Incomplete JSON segment at the end')).kind).toBe('network');
  });

  it('reads a SyntaxError (malformed body) as a server error', () => {
    const failure = parseGeminiError(new SyntaxError('Unexpected end of JSON input'));
    expect(failure.kind).toBe('serverError');
    expect(failure.status).toBeUndefined();
    expect(failure.serverMessage).toContain('malformed response');
  });

  it('tells a caller abort from a timeout only with the caller signal', () => {
    const abortError = new DOMException('This operation was aborted', 'AbortError');
    expect(parseGeminiError(abortError).kind).toBe('aborted');

    const caller = new AbortController();
    caller.abort(new Error('user left'));
    expect(parseGeminiError(abortError, { signal: caller.signal }).kind).toBe('aborted');

    // The call's signal aborted, the caller's did not: somebody's timeout fired.
    expect(parseGeminiError(abortError, { signal: new AbortController().signal }).kind).toBe('timeout');

    const timedOut = new AbortController();
    timedOut.abort(new TimeoutError(1000));
    expect(parseGeminiError(abortError, { signal: timedOut.signal }).kind).toBe('timeout');
  });

  it('reads a rejection with the signal reason itself', () => {
    const caller = new AbortController();
    const reason = new Error('cancelled by user');
    caller.abort(reason);
    expect(parseGeminiError(reason, { signal: caller.signal }).kind).toBe('aborted');
  });

  it('reads TimeoutErrors from core and from AbortSignal.timeout', () => {
    expect(parseGeminiError(new TimeoutError(50)).kind).toBe('timeout');
    expect(parseGeminiError(new DOMException('The operation timed out.', 'TimeoutError')).kind).toBe(
      'timeout',
    );
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a plain Error', new Error('something odd')],
    ['an empty object', {}],
    ['non-JSON text', 'went wrong'],
    ['a symbol', Symbol('x')],
  ])('returns kind unknown for %s', (_label, value) => {
    const failure = parseGeminiError(value);
    expect(failure.kind).toBe('unknown');
    expect(failure.transient).toBe(false);
    expect(failure.cause).toBe(value);
  });

  it('never throws on hostile objects', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(parseGeminiError(hostile).kind).toBe('unknown');
  });

  it('returns a GeminiFailure as it is', () => {
    const failure = parseGeminiError(new ApiError({ status: 503, message: '{}' }));
    expect(parseGeminiError(failure)).toBe(failure);
    expect(isGeminiFailure(failure)).toBe(true);
    expect(isGeminiFailure(new Error('x'))).toBe(false);
  });
});

describe('parseDuration', () => {
  it.each([
    ['34.4s', 34_400],
    ['48s', 48_000],
    ['0s', 0],
    ['.5s', 500],
    [{ seconds: '3', nanos: 500_000_000 }, 3500],
    [{ seconds: 2 }, 2000],
  ])('reads %j as %d ms', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it.each(['-1s', '1m', '', 's', '1e3s', 'NaNs', { seconds: 'x' }, { nanos: -1 }, 12, null])(
    'rejects %j',
    (value) => {
      expect(parseDuration(value)).toBeUndefined();
    },
  );
});

describe('emptyFailureOf', () => {
  it('reports an answer without content, as Gemini sends it (STOP, content without parts)', () => {
    const response = {
      candidates: [{ content: { role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 3130, totalTokenCount: 3130 },
      modelVersion: 'gemini-2.5-flash-lite',
    };
    expect(emptyFailureOf(response)).toMatchObject({
      kind: 'empty',
      finishReason: 'STOP',
      model: 'gemini-2.5-flash-lite',
      cause: response,
    });
    expect(
      emptyFailureOf({ candidates: [{ content: { parts: [{ text: '' }] }, finishReason: 'MAX_TOKENS' }] }),
    ).toMatchObject({
      kind: 'empty',
      finishReason: 'MAX_TOKENS',
    });
    expect(emptyFailureOf({ usageMetadata: {} }, { model: 'm' })).toMatchObject({
      kind: 'empty',
      model: 'm',
    });
  });

  it('is undefined for content (text, thoughts, function calls, media), for blocks and for non-responses', () => {
    const withParts = (parts: unknown[]) => ({ candidates: [{ content: { parts }, finishReason: 'STOP' }] });
    expect(emptyFailureOf(withParts([{ text: 'hi' }]))).toBeUndefined();
    expect(emptyFailureOf(withParts([{ text: 'hmm', thought: true }]))).toBeUndefined();
    expect(emptyFailureOf(withParts([{ functionCall: { name: 'f', args: {} } }]))).toBeUndefined();
    expect(emptyFailureOf(withParts([{ inlineData: { mimeType: 'image/png', data: 'x' } }]))).toBeUndefined();
    expect(emptyFailureOf({ promptFeedback: { blockReason: 'SAFETY' } })).toBeUndefined();
    expect(emptyFailureOf({ candidates: [{ finishReason: 'SAFETY' }] })).toBeUndefined();
    for (const value of [undefined, null, 'text', 42]) expect(emptyFailureOf(value)).toBeUndefined();
  });
});

describe('blockedFailureOf', () => {
  it('reports a blocked prompt', () => {
    const failure = blockedFailureOf({
      promptFeedback: { blockReason: 'SAFETY' },
      modelVersion: 'gemini-2.5-flash',
    });
    expect(failure).toMatchObject({ kind: 'blocked', blockReason: 'SAFETY', model: 'gemini-2.5-flash' });
  });

  it.each(['SAFETY', 'RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII'])(
    'reports finishReason %s',
    (reason) => {
      expect(blockedFailureOf({ candidates: [{ finishReason: reason }] })).toMatchObject({
        kind: 'blocked',
        finishReason: reason,
      });
    },
  );

  it.each([
    ['a normal answer', { candidates: [{ finishReason: 'STOP', content: { parts: [{ text: 'hi' }] } }] }],
    ['a MAX_TOKENS answer', { candidates: [{ finishReason: 'MAX_TOKENS' }] }],
    ['a chunk without finishReason', { candidates: [{ content: { parts: [{ text: 'hi' }] } }] }],
    ['not a response', 'hello'],
    ['null', null],
  ])('returns undefined for %s', (_label, value) => {
    expect(blockedFailureOf(value)).toBeUndefined();
  });
});

describe('new GeminiFailure(init) with bad input', () => {
  it.each([
    ['undefined', undefined, 'options'],
    ['null', null, 'options'],
    ['a string', 'overloaded', 'options'],
    ['an unknown kind', { kind: 'sad', serverMessage: 'x' }, 'kind'],
    ['no serverMessage', { kind: 'overloaded' }, 'serverMessage'],
  ])('throws InvalidOptionError naming the field for %s', (_label, init, option) => {
    let thrown: unknown;
    try {
      new GeminiFailure(init as never);
    } catch (error) {
      thrown = error;
    }
    expect(isInvalidOptionError(thrown)).toBe(true);
    expect((thrown as { option: string }).option).toBe(option);
  });

  it('builds a failure from a valid init', () => {
    const failure = new GeminiFailure({ kind: 'overloaded', serverMessage: 'The model is overloaded.' });
    expect(isGeminiFailure(failure)).toBe(true);
    expect(failure.transient).toBe(true);
  });
});
