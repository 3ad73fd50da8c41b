/**
 * Every fault the fake server injects, through the real @google/genai SDK (3.x and 2.x): what the SDK throws or
 * yields, and how parseGeminiError classifies it. The two majors behave alike for every fault here (2.32 already
 * raises in-stream error events); the API version they use differs, and is checked too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blockedFailureOf, parseGeminiError } from '../../src/index.js';
import { type FakeGemini, fault, ok, startFakeGemini } from '../../src/testing/index.js';
import { collect, settle, textOf, until } from '../support/helpers.js';
import { type Client, sdks } from '../support/sdks.js';

const MODEL = 'gemini-2.5-flash';

describe.each(sdks)('$name against the fake server', (sdk) => {
  const { ApiError } = sdk;
  let fake: FakeGemini;
  let ai: Client;

  beforeAll(async () => {
    fake = await startFakeGemini();
    ai = sdk.client(fake);
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  function generate(contents = 'hello world', config?: Record<string, unknown>) {
    return settle(ai.models.generateContent({ model: MODEL, contents, ...(config ? { config } : {}) }));
  }
  function stream(contents = 'hello streaming world', config?: Record<string, unknown>) {
    return collect(
      ai.models.generateContentStream({ model: MODEL, contents, ...(config ? { config } : {}) }),
    );
  }

  describe('answers', () => {
    it('echoes the prompt, on the SDK default API version', async () => {
      const outcome = await generate('ping');
      expect(outcome).toMatchObject({ ok: true });
      const response = outcome.ok ? outcome.value : undefined;
      expect(response.text).toBe('ping');
      expect(response.candidates[0].finishReason).toBe('STOP');
      expect(response.modelVersion).toBe(MODEL);
      expect(response.usageMetadata).toMatchObject({ promptTokenCount: 1, candidatesTokenCount: 1 });
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]).toMatchObject({
        httpMethod: 'POST',
        path: `/${sdk.apiVersion}/models/${MODEL}:generateContent`,
        apiVersion: sdk.apiVersion,
        model: MODEL,
        method: 'generateContent',
        stream: false,
        prompt: 'ping',
        answer: 'ok',
        aborted: false,
      });
      expect(fake.requests[0]!.headers['x-goog-api-key']).toBe('test');
      expect(fake.requests[0]!.headers['x-goog-api-client']).toContain(`google-genai-sdk/${sdk.sdkVersion}`);
      expect(fake.requests[0]!.body).toMatchObject({
        contents: [{ role: 'user', parts: [{ text: 'ping' }] }],
      });
    });

    it('streams SSE chunks, the last one with finishReason and usage', async () => {
      fake.script([ok({ text: 'one two three four', chunks: 4 })]);
      const { chunks, error } = await stream();
      expect(error).toBeUndefined();
      expect(chunks).toHaveLength(4);
      expect(textOf(chunks)).toBe('one two three four');
      expect(chunks.slice(0, 3).every((c) => c.candidates[0].finishReason === undefined)).toBe(true);
      expect(chunks[3].candidates[0].finishReason).toBe('STOP');
      expect(chunks[3].usageMetadata.candidatesTokenCount).toBe(5);
      expect(fake.requests[0]).toMatchObject({ method: 'streamGenerateContent', stream: true });
      expect(fake.requests[0]!.url).toContain('alt=sse');
    });

    it('serves countTokens and embeddings (batchEmbedContents)', async () => {
      const count = await ai.models.countTokens({ model: MODEL, contents: 'twelve chars' });
      expect(count.totalTokens).toBe(3);
      const embedded = await ai.models.embedContent({
        model: 'gemini-embedding-001',
        contents: ['a', 'b', 'a'],
      });
      expect(embedded.embeddings).toHaveLength(3);
      expect(embedded.embeddings[0].values).toHaveLength(8);
      expect(embedded.embeddings[0].values).toEqual(embedded.embeddings[2].values);
      expect(embedded.embeddings[0].values).not.toEqual(embedded.embeddings[1].values);
      expect(fake.requests.map((r) => r.method)).toEqual(['countTokens', 'batchEmbedContents']);
    });

    it('serves chats, which go through models.generateContent', async () => {
      fake.script([ok({ text: 'first' }), ok({ text: 'second' })]);
      const chat = ai.chats.create({ model: MODEL });
      expect((await chat.sendMessage({ message: 'hi' })).text).toBe('first');
      expect((await chat.sendMessage({ message: 'again' })).text).toBe('second');
      // The second request carries the history.
      expect((fake.requests[1]!.body as { contents: unknown[] }).contents).toHaveLength(3);
    });
  });

  describe('HTTP errors with a google.rpc body', () => {
    it('503 overloaded: ApiError 503, kind overloaded, in both wordings', async () => {
      fake.script([fault.overloaded(), fault.overloaded({ highDemand: true })]);
      for (const expected of ['The model is overloaded', 'experiencing high demand']) {
        const outcome = await generate();
        expect(outcome.ok).toBe(false);
        const error = outcome.ok ? undefined : outcome.error;
        expect(error).toBeInstanceOf(ApiError);
        expect(error.status).toBe(503);
        const failure = parseGeminiError(error);
        expect(failure).toMatchObject({ kind: 'overloaded', status: 503, rpcStatus: 'UNAVAILABLE' });
        expect(failure.serverMessage).toContain(expected);
      }
    });

    it('429 per minute: kind rateLimited, whole-second RetryInfo and the exact delay in the text, quota id and model', async () => {
      fake.script([fault.rateLimited({ retryDelayMs: 34_400, limit: 5 })]);
      const outcome = await generate();
      const error = outcome.ok ? undefined : outcome.error;
      expect(error.status).toBe(429);
      const body = JSON.parse(error.message);
      expect(body.error.details.map((d: { '@type': string }) => d['@type'].split('.').pop())).toEqual([
        'QuotaFailure',
        'Help',
        'RetryInfo',
      ]);
      // As Gemini sends it: RetryInfo in whole seconds (truncated), the text to the nanosecond.
      expect(body.error.details[2].retryDelay).toBe('34s');
      expect(body.error.message).toContain('Please retry in 34.4s.');
      expect(parseGeminiError(error)).toMatchObject({
        kind: 'rateLimited',
        retryAfterMs: 34_400,
        retryInfoMs: 34_000,
        quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
        quotaValue: 5,
        model: MODEL,
      });
    });

    it('429 delays are written as Gemini writes them: RetryInfo truncated to seconds, the text as a Go duration', async () => {
      fake.script([
        fault.rateLimited({ retryDelayMs: 58_217.843437 }),
        fault.rateLimited({ retryDelayMs: 593.203166 }),
        fault.rateLimited({ retryDelayMs: 62_500 }),
        fault.rateLimited({ retryDelayMs: 34_400, exactRetryInfo: true }),
      ]);
      const expected = [
        ['58s', 'Please retry in 58.217843437s.', 58_217.843437],
        ['0s', 'Please retry in 593.203166ms.', 593.203166],
        ['62s', 'Please retry in 1m2.5s.', 62_500],
        ['34.4s', 'Please retry in 34.4s.', 34_400],
      ] as const;
      for (const [retryDelay, text, retryAfterMs] of expected) {
        const outcome = await generate();
        const error = outcome.ok ? undefined : outcome.error;
        const body = JSON.parse(error.message);
        expect(body.error.details[2].retryDelay).toBe(retryDelay);
        expect(body.error.message).toContain(text);
        expect(parseGeminiError(error).retryAfterMs).toBe(retryAfterMs);
      }
    });

    it('429 on input tokens per minute names the token quota', async () => {
      fake.script([fault.rateLimited({ metric: 'inputTokens', retryDelayMs: 1500 })]);
      const outcome = await generate();
      expect(parseGeminiError(outcome.ok ? undefined : outcome.error)).toMatchObject({
        kind: 'rateLimited',
        retryAfterMs: 1500,
        quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
      });
    });

    it('429 per day: kind dailyQuotaExhausted, retryAfterMs until midnight Pacific, short RetryInfo kept', async () => {
      fake.script([fault.dailyQuota({ retryDelayMs: 23_700 })]);
      const outcome = await generate();
      const now = Date.UTC(2026, 10, 22, 20); // 12:00 PST
      const failure = parseGeminiError(outcome.ok ? undefined : outcome.error, { now });
      expect(failure).toMatchObject({
        kind: 'dailyQuotaExhausted',
        retryInfoMs: 23_000,
        retryAfterMs: 12 * 3_600_000,
        quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
        model: MODEL,
      });
    });

    it('429 "limit: 0" (no quota for the model): kind dailyQuotaExhausted, quotaValue 0', async () => {
      fake.script([fault.noQuota(), fault.noQuota({ dailyViolation: false, retryDelayMs: 25_465.784708 })]);
      for (const violations of [3, 2]) {
        const outcome = await generate();
        const error = outcome.ok ? undefined : outcome.error;
        expect(error.status).toBe(429);
        const body = JSON.parse(error.message);
        expect(body.error.details[1].violations).toHaveLength(violations);
        expect(body.error.message.match(/limit: 0, model: gemini-2.5-flash/g)).toHaveLength(violations);
        expect(parseGeminiError(error)).toMatchObject({
          kind: 'dailyQuotaExhausted',
          quotaValue: 0,
          model: MODEL,
        });
      }
      expect(fake.requests.map((r) => r.answer)).toEqual(['noQuota', 'noQuota']);
    });

    it('429 without RetryInfo: the delay comes from the "Please retry in" text', async () => {
      fake.script([
        fault.status({
          code: 429,
          status: 'RESOURCE_EXHAUSTED',
          message: 'Resource exhausted. Please retry in 12.5s.',
        }),
      ]);
      const outcome = await generate();
      expect(parseGeminiError(outcome.ok ? undefined : outcome.error)).toMatchObject({
        kind: 'rateLimited',
        retryAfterMs: 12_500,
        retryInfoMs: undefined,
      });
    });

    it.each([
      ['500 INTERNAL', () => fault.internal(), 500, 'serverError', 'INTERNAL'],
      ['504 DEADLINE_EXCEEDED', () => fault.deadlineExceeded(), 504, 'deadline', 'DEADLINE_EXCEEDED'],
      ['499 CANCELLED from the server', () => fault.cancelled(), 499, 'serverError', 'CANCELLED'],
      ['400 INVALID_ARGUMENT', () => fault.badRequest(), 400, 'clientError', 'INVALID_ARGUMENT'],
      ['403 PERMISSION_DENIED', () => fault.permissionDenied(), 403, 'clientError', 'PERMISSION_DENIED'],
      ['404 NOT_FOUND', () => fault.notFound(), 404, 'notFound', 'NOT_FOUND'],
    ])('%s: ApiError and kind', async (_label, make, status, kind, rpcStatus) => {
      fake.script([make(), make()]);
      const unary = await generate();
      const streamed = await stream();
      for (const error of [unary.ok ? undefined : unary.error, streamed.error]) {
        expect(error).toBeInstanceOf(ApiError);
        expect(error.status).toBe(status);
        expect(parseGeminiError(error)).toMatchObject({ kind, status, rpcStatus });
      }
      expect(streamed.chunks).toHaveLength(0);
    });

    it('404 names the model and the API version the SDK used', async () => {
      fake.script([fault.notFound()]);
      const outcome = await generate();
      const failure = parseGeminiError(outcome.ok ? undefined : outcome.error);
      expect(failure.serverMessage).toContain(
        `models/${MODEL} is not found for API version ${sdk.apiVersion}`,
      );
    });
  });

  describe('bodies that are not a google.rpc JSON', () => {
    it('HTML 502: double-wrapped ApiError, kind serverError with readable text', async () => {
      fake.script([fault.html502()]);
      const outcome = await generate();
      const error = outcome.ok ? undefined : outcome.error;
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(502);
      expect(JSON.parse(error.message).error.message).toContain('<!DOCTYPE html>');
      const failure = parseGeminiError(error);
      expect(failure).toMatchObject({ kind: 'serverError', status: 502, rpcStatus: undefined });
      expect(failure.serverMessage).toContain('Error 502 (Server Error)!!1');
      expect(failure.serverMessage).not.toMatch(/[<>]/);
    });

    it('text/plain 503 from a proxy: double-wrapped with the reason phrase, kind overloaded', async () => {
      fake.script([fault.nonJson()]);
      const outcome = await generate();
      const error = outcome.ok ? undefined : outcome.error;
      expect(JSON.parse(error.message).error.status).toBe('Service Unavailable');
      expect(parseGeminiError(error)).toMatchObject({
        kind: 'overloaded',
        status: 503,
        rpcStatus: undefined,
        serverMessage: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
      });
    });

    it('a JSON google.rpc body under text/plain: the real status comes out of the double wrap', async () => {
      const body = JSON.stringify({
        error: {
          code: 503,
          status: 'UNAVAILABLE',
          message: 'The model is overloaded. Please try again later.',
        },
      });
      fake.script([fault.raw({ status: 503, contentType: 'text/plain', body })]);
      const outcome = await generate();
      expect(parseGeminiError(outcome.ok ? undefined : outcome.error)).toMatchObject({
        kind: 'overloaded',
        rpcStatus: 'UNAVAILABLE',
        serverMessage: 'The model is overloaded. Please try again later.',
      });
    });

    it('malformed JSON under application/json: SyntaxError without status, kind serverError', async () => {
      fake.script([fault.malformedJson(), fault.malformedJson({ status: 500 })]);
      for (let i = 0; i < 2; i++) {
        const outcome = await generate();
        const error = outcome.ok ? undefined : outcome.error;
        expect(error).toBeInstanceOf(SyntaxError);
        expect(error.status).toBeUndefined();
        expect(parseGeminiError(error)).toMatchObject({ kind: 'serverError', status: undefined });
      }
    });

    it('a 200 that is not JSON at all: SyntaxError, kind serverError', async () => {
      fake.script([
        fault.raw({ status: 200, contentType: 'text/html', body: '<html>captive portal</html>' }),
      ]);
      const outcome = await generate();
      expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(SyntaxError);
      expect(parseGeminiError(outcome.ok ? undefined : outcome.error).kind).toBe('serverError');
    });
  });

  describe('connection faults', () => {
    it('reset before the response: TypeError fetch failed (ECONNRESET), kind network', async () => {
      fake.script([fault.reset(), fault.reset()]);
      const unary = await generate();
      const streamed = await stream();
      for (const error of [unary.ok ? undefined : unary.error, streamed.error]) {
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toBe('fetch failed');
        expect(error.cause.code).toBe('ECONNRESET');
        expect(parseGeminiError(error)).toMatchObject({ kind: 'network', networkCode: 'ECONNRESET' });
      }
      expect(fake.requests.every((r) => r.answer === 'reset' && r.aborted)).toBe(true);
    });

    it('connection dropped after the first chunk: one chunk, then TypeError terminated, kind network', async () => {
      fake.script([fault.reset({ afterChunks: 1 })]);
      const { chunks, error } = await stream();
      expect(chunks).toHaveLength(1);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('terminated');
      expect(parseGeminiError(error)).toMatchObject({ kind: 'network', networkCode: 'UND_ERR_SOCKET' });
    });

    it('connection dropped in the middle of a unary body: terminated, kind network', async () => {
      fake.script([fault.reset({ afterChunks: 1 })]);
      const outcome = await generate();
      const error = outcome.ok ? undefined : outcome.error;
      expect(error.message).toBe('terminated');
      expect(parseGeminiError(error).kind).toBe('network');
    });

    it('hang: the call waits until the caller aborts, then rejects with AbortError (kind aborted)', async () => {
      fake.script([fault.hang()]);
      const caller = new AbortController();
      const pending = generate('hello', { abortSignal: caller.signal });
      await until(() => fake.requests[0]?.answer === 'hang');
      caller.abort(new Error('user navigated away'));
      const outcome = await pending;
      const error = outcome.ok ? undefined : outcome.error;
      expect(error.name).toBe('AbortError');
      expect(parseGeminiError(error, { signal: caller.signal }).kind).toBe('aborted');
      await until(() => fake.requests[0]!.aborted);
      expect(fake.requests).toHaveLength(1);
    });

    it('hang ended by a timeout signal: the caller signal tells it was not the caller (kind timeout)', async () => {
      fake.script([fault.hang()]);
      const caller = new AbortController();
      // The adapter's per-attempt signal; here aborted by hand instead of a timer.
      const attempt = new AbortController();
      const pending = generate('hello', { abortSignal: attempt.signal });
      await until(() => fake.requests[0]?.answer === 'hang');
      attempt.abort();
      const outcome = await pending;
      expect(parseGeminiError(outcome.ok ? undefined : outcome.error, { signal: caller.signal }).kind).toBe(
        'timeout',
      );
    });

    it('stall before the first chunk: headers arrive, no chunk until the abort', async () => {
      fake.script([fault.stall()]);
      const caller = new AbortController();
      const result = stream('hello', { abortSignal: caller.signal });
      await until(() => fake.requests[0]?.answer === 'stall');
      caller.abort();
      const { chunks, error } = await result;
      expect(chunks).toHaveLength(0);
      expect(error.name).toBe('AbortError');
      expect(parseGeminiError(error, { signal: caller.signal }).kind).toBe('aborted');
    });

    it('stall after the first chunk: one chunk, then silence until the abort', async () => {
      fake.script([fault.stall({ afterChunks: 1 })]);
      const caller = new AbortController();
      const chunks: any[] = [];
      let error: any;
      try {
        for await (const chunk of await ai.models.generateContentStream({
          model: MODEL,
          contents: 'hello streaming world',
          config: { abortSignal: caller.signal },
        })) {
          chunks.push(chunk);
          caller.abort(); // the stream is stalled now: nothing more would come
        }
      } catch (e) {
        error = e;
      }
      expect(chunks).toHaveLength(1);
      expect(error.name).toBe('AbortError');
      await until(() => fake.requests[0]!.aborted);
    });
  });

  describe('stream-specific faults', () => {
    it('in-stream error event: a chunk, then ApiError "got status: UNAVAILABLE. {...}", kind overloaded', async () => {
      fake.script([fault.streamError()]);
      const { chunks, error } = await stream();
      expect(chunks).toHaveLength(1);
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(503);
      expect(error.message).toMatch(/^got status: UNAVAILABLE\. \{"error":/);
      expect(parseGeminiError(error)).toMatchObject({ kind: 'overloaded', rpcStatus: 'UNAVAILABLE' });
    });

    it('in-stream 429 keeps its RetryInfo', async () => {
      fake.script([
        fault.streamError({
          afterChunks: 2,
          error: {
            code: 429,
            status: 'RESOURCE_EXHAUSTED',
            message: 'quota',
            details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3.25s' }],
          },
        }),
      ]);
      const { chunks, error } = await stream();
      expect(chunks).toHaveLength(2);
      expect(parseGeminiError(error)).toMatchObject({ kind: 'rateLimited', retryAfterMs: 3250 });
    });

    it('in-stream error on a unary call is the HTTP error', async () => {
      fake.script([fault.streamError()]);
      const outcome = await generate();
      expect(parseGeminiError(outcome.ok ? undefined : outcome.error)).toMatchObject({
        kind: 'overloaded',
        status: 503,
      });
    });

    it('truncated last event: a chunk, then "Incomplete JSON segment at the end", kind network', async () => {
      fake.script([fault.truncated()]);
      const { chunks, error } = await stream();
      expect(chunks).toHaveLength(1);
      expect(error.message).toBe('Incomplete JSON segment at the end');
      expect(parseGeminiError(error).kind).toBe('network');
    });

    it('truncated unary body: SyntaxError, kind serverError', async () => {
      fake.script([fault.truncated()]);
      const outcome = await generate();
      expect(outcome.ok ? undefined : outcome.error).toBeInstanceOf(SyntaxError);
    });

    it('close without finishReason: the SDK reports success, and no chunk says it finished', async () => {
      fake.script([fault.noFinishReason({ chunks: 3 })]);
      const { chunks, error } = await stream();
      expect(error).toBeUndefined();
      expect(chunks).toHaveLength(3);
      expect(textOf(chunks)).toBe('hello streaming world');
      expect(chunks.some((c) => c.candidates?.[0]?.finishReason !== undefined)).toBe(false);
      expect(chunks.map((c) => blockedFailureOf(c))).toEqual([undefined, undefined, undefined]);
    });

    it('unary answer without finishReason', async () => {
      fake.script([fault.noFinishReason()]);
      const outcome = await generate('x');
      expect(outcome.ok ? outcome.value.candidates[0].finishReason : 'threw').toBeUndefined();
    });
  });

  describe('SAFETY blocks (a 200 that is not an answer)', () => {
    it('blocked prompt: no candidates, promptFeedback.blockReason; blockedFailureOf reports it', async () => {
      fake.script([fault.blocked(), fault.blocked()]);
      const outcome = await generate();
      const response = outcome.ok ? outcome.value : undefined;
      expect(response.candidates).toBeUndefined();
      expect(response.text).toBeUndefined();
      expect(response.promptFeedback.blockReason).toBe('SAFETY');
      expect(blockedFailureOf(response)).toMatchObject({
        kind: 'blocked',
        blockReason: 'SAFETY',
        model: MODEL,
      });

      const { chunks, error } = await stream();
      expect(error).toBeUndefined();
      expect(chunks).toHaveLength(1);
      expect(blockedFailureOf(chunks[0])).toMatchObject({ kind: 'blocked', blockReason: 'SAFETY' });
    });

    it('candidate stopped for SAFETY after a chunk of text', async () => {
      fake.script([fault.blocked({ where: 'candidate', afterChunks: 1 })]);
      const { chunks, error } = await stream();
      expect(error).toBeUndefined();
      expect(chunks).toHaveLength(2);
      expect(blockedFailureOf(chunks[0])).toBeUndefined();
      expect(blockedFailureOf(chunks[1])).toMatchObject({ kind: 'blocked', finishReason: 'SAFETY' });
    });

    it('RECITATION on a unary call', async () => {
      fake.script([fault.blocked({ where: 'candidate', reason: 'RECITATION' })]);
      const outcome = await generate();
      expect(blockedFailureOf(outcome.ok ? outcome.value : undefined)).toMatchObject({
        finishReason: 'RECITATION',
      });
    });
  });

  it('a closed server refuses: fetch failed (ECONNREFUSED), kind network', async () => {
    const gone = await startFakeGemini();
    const client = sdk.client(gone);
    await gone.close();
    const outcome = await settle(client.models.generateContent({ model: MODEL, contents: 'x' }));
    expect(parseGeminiError(outcome.ok ? undefined : outcome.error)).toMatchObject({
      kind: 'network',
      networkCode: 'ECONNREFUSED',
    });
  });
});
