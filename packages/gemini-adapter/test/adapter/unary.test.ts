/**
 * withResilience on unary calls, through the real SDK (3.x and 2.x) against the fake server: the decision table
 * fault by fault, with the number of requests the server saw, the waits on the virtual clock, and the final
 * result or typed error.
 */
import { consecutive, exponential, isTimeoutError } from '@bulwark/core';
import nodeFetch from 'node-fetch';
import { describe, expect, it } from 'vitest';
import { isGeminiFailure, resilienceInfo, withResilience } from '../../src/index.js';
import { fault, ok } from '../../src/testing/index.js';
import { settle, until } from '../support/helpers.js';
import { harnessPerTest, named, START } from '../support/harness.js';
import { sdks } from '../support/sdks.js';

const PRO = 'gemini-2.5-pro';
const FLASH = 'gemini-2.5-flash';

describe.each(sdks)('withResilience, unary calls, $name', (sdk) => {
  const { h, setup } = harnessPerTest({ sdk });
  const generate = (model = FLASH, config?: Record<string, unknown>) =>
    settle(h.ai.models.generateContent({ model, contents: 'hello', ...(config ? { config } : {}) }));

  it('passes a healthy call through with one request and says which model answered', async () => {
    await setup();
    const outcome = await generate();
    expect(outcome.ok).toBe(true);
    const response = outcome.ok ? outcome.value : undefined;
    expect(response.text).toBe('hello');
    expect(resilienceInfo(response)).toEqual({ requested: FLASH, model: FLASH, attempts: 1, failovers: 0 });
    expect(h.fake.requests).toHaveLength(1);
    expect(h.engine.stats()).toMatchObject({ calls: 1, succeeded: 1, failed: 0, requests: 1, retries: 0 });
  });

  it.each([
    ['503 overloaded', fault.overloaded()],
    ['500 internal', fault.internal()],
    ['504 deadline exceeded', fault.deadlineExceeded()],
    ['502 HTML page from a proxy', fault.html502()],
    ['503 in plain text', fault.nonJson({ status: 503, body: 'upstream connect error' })],
    ['malformed JSON under 200', fault.malformedJson()],
    ['connection reset', fault.reset()],
  ])('retries %s with backoff, then answers', async (_name, behaviour) => {
    await setup();
    h.fake.script(FLASH, [behaviour, behaviour, ok({ text: 'done' })]);
    const outcome = await generate();
    expect(outcome.ok ? outcome.value.text : outcome.error).toBe('done');
    expect(h.fake.requests).toHaveLength(3);
    expect(h.waits).toEqual([1_000, 1_000]);
    const times = h.fake.requests.map((r) => r.time - h.fake.requests[0]!.time);
    expect(times).toEqual([0, 1_000, 2_000]);
    expect(resilienceInfo(outcome.ok ? outcome.value : undefined)?.attempts).toBe(3);
  });

  it('numbers the request events of each model from 0: attempt 0, 1, 2, then 0 again after a failover', async () => {
    await setup({ options: { fallbacks: { [PRO]: [FLASH] } } });
    h.fake.setDefault(PRO, fault.overloaded());
    const outcome = await generate(PRO);
    expect(outcome.ok).toBe(true);
    expect(named(h.events, 'request')).toEqual([
      { model: PRO, attempt: 0, stream: false },
      { model: PRO, attempt: 1, stream: false },
      { model: PRO, attempt: 2, stream: false },
      { model: FLASH, attempt: 0, stream: false },
    ]);
  });

  it('retries a 499 CANCELLED the server sent (backendError under load): the caller did not abort', async () => {
    await setup();
    h.fake.script(FLASH, [fault.cancelled(), ok({ text: 'done' })]);
    const outcome = await generate();
    expect(outcome.ok ? outcome.value.text : outcome.error).toBe('done');
    expect(h.fake.requests).toHaveLength(2);
    expect(named(h.events, 'retry')[0]).toMatchObject({ kind: 'serverError', delay: 1_000 });
  });

  it('fails over a model that keeps answering 499 CANCELLED, and counts it for the breaker', async () => {
    await setup({ options: { maxAttempts: 2, fallbacks: { [PRO]: [FLASH] } } });
    h.fake.setDefault(PRO, fault.cancelled());
    const outcome = await generate(PRO);
    expect(outcome.ok ? outcome.value.modelVersion : outcome.error).toBe(FLASH);
    expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, PRO, FLASH]);
    expect(named(h.events, 'failover')[0]).toMatchObject({ reason: 'retriesExhausted' });
    expect(named(h.events, 'failover')[0].error).toMatchObject({ status: 499, rpcStatus: 'CANCELLED' });
    for (let i = 0; i < 2; i++) await generate(PRO);
    expect(h.engine.model(PRO).breaker?.state).toBe('open');
  });

  it('retries a body cut off under node-fetch (httpOptions.fetch): "Premature close" is a network error', async () => {
    await setup({ httpOptions: { fetch: nodeFetch } });
    h.fake.script(FLASH, [fault.reset({ afterChunks: 1 }), ok({ text: 'done' })]);
    const outcome = await generate();
    expect(outcome.ok ? outcome.value.text : outcome.error).toBe('done');
    expect(h.fake.requests).toHaveLength(2);
    const retry = named(h.events, 'retry')[0];
    expect(retry).toMatchObject({ kind: 'network' });
    expect(retry.error).toMatchObject({ networkCode: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(retry.error.cause).toMatchObject({ name: 'FetchError', code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('draws retry delays from the backoff, within its bounds', async () => {
    await setup({
      options: {
        maxAttempts: 4,
        backoff: exponential({ initialDelay: 1_000, maxDelay: 30_000, jitter: 'full' }),
      },
    });
    h.fake.script(FLASH, [fault.overloaded(), fault.overloaded(), fault.overloaded()]);
    const outcome = await generate();
    expect(outcome.ok).toBe(true);
    expect(h.waits).toHaveLength(3);
    h.waits.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(1_000 * 2 ** i);
    });
  });

  it('gives up after maxAttempts with a typed failure carrying status and kind', async () => {
    await setup({ options: { maxAttempts: 3 } });
    h.fake.setDefault(fault.overloaded());
    const outcome = await generate();
    expect(outcome.ok).toBe(false);
    const error = outcome.ok ? undefined : outcome.error;
    expect(isGeminiFailure(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'overloaded', status: 503, rpcStatus: 'UNAVAILABLE' });
    expect(h.fake.requests).toHaveLength(3);
    expect(h.engine.stats()).toMatchObject({ failed: 1, requests: 3, retries: 2 });
  });

  it.each([
    ['400 invalid argument', fault.badRequest(), 'clientError', 400],
    ['403 permission denied', fault.permissionDenied(), 'clientError', 403],
  ])('fails %s at once, without touching the breaker', async (_name, behaviour, kind, status) => {
    await setup({ options: { breaker: {} } });
    h.fake.setDefault(behaviour);
    for (let i = 0; i < 8; i++) {
      const outcome = await generate();
      expect(outcome.ok ? undefined : outcome.error).toMatchObject({ kind, status });
    }
    expect(h.fake.requests).toHaveLength(8);
    expect(h.engine.model(FLASH).breaker?.state).toBe('closed');
    expect(h.waits).toEqual([]);
  });

  it('waits the RetryInfo delay of a per-minute 429, exactly, then answers', async () => {
    await setup();
    h.fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 34_400 }), ok()]);
    const outcome = await generate();
    expect(outcome.ok).toBe(true);
    expect(h.fake.requests.map((r) => r.time - h.fake.requests[0]!.time)).toEqual([0, 34_400]);
    expect(named(h.events, 'paused')).toEqual([{ model: FLASH, duration: 34_400 }]);
    expect(named(h.events, 'retry')[0]).toMatchObject({ kind: 'rateLimited', delay: 34_400 });
  });

  it("waits Gemini's exact 429 delay, not its whole-second RetryInfo: one retry is enough", async () => {
    // The server's window frees 58.217843437 s after the refused request. Its 429 says RetryInfo "58s" and
    // "Please retry in 58.217843437s."; waiting 58 s got a second 429 with RetryInfo "0s", then an immediate
    // third attempt, refused too.
    await setup({ fake: { quotas: { [FLASH]: { rpm: 1 } } } });
    expect((await generate()).ok).toBe(true);
    await h.clock.advance(1_782.156563);
    const outcome = await generate();
    expect(outcome.ok ? outcome.value.text : outcome.error).toBe('hello');
    expect(h.fake.requests.map((r) => r.answer)).toEqual(['ok', 'rateLimited', 'ok']);
    // (To the microsecond: the clock's epoch milliseconds carry about 0.2 µs of float precision.)
    const retry = named(h.events, 'retry')[0];
    expect(retry.kind).toBe('rateLimited');
    expect(retry.delay).toBeCloseTo(58_217.843, 2);
    expect(named(h.events, 'paused')[0].duration).toBeCloseTo(58_217.843, 2);
  });

  it('never retries a 429 sooner than the backoff: RetryInfo "0s" waits the backoff delay', async () => {
    await setup();
    h.fake.script(FLASH, [
      fault.rateLimited({ retryDelayMs: 0 }),
      fault.rateLimited({ retryDelayMs: 300 }),
      ok(),
    ]);
    const outcome = await generate();
    expect(outcome.ok).toBe(true);
    // The backoff is a constant 1 s here: 0 s and 0.3 s from the server both wait 1 s.
    expect(h.fake.requests.map((r) => r.time - START)).toEqual([0, 1_000, 2_000]);
    expect(named(h.events, 'retry').map((e) => e.delay)).toEqual([1_000, 1_000]);
  });

  it('a 429 pauses the model for every concurrent caller, not only the one that got it', async () => {
    await setup({ autoAdvance: false });
    h.fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 10_000 })]);
    const first = generate();
    await until(() => named(h.events, 'paused').length === 1);
    const second = generate();
    await until(() => named(h.events, 'wait').length === 1);
    expect(named(h.events, 'wait')[0]).toEqual({ model: FLASH, delay: 10_000, reason: 'paused' });
    expect(h.fake.requests).toHaveLength(1);
    await h.clock.advance(10_000);
    const [a, b] = await Promise.all([first, second]);
    expect(a.ok && b.ok).toBe(true);
    expect(h.fake.requests.map((r) => r.time - START)).toEqual([0, 10_000, 10_000]);
  });

  it('a 429 whose delay exceeds maxRetryDelay fails over at once instead of sleeping', async () => {
    await setup({ options: { maxRetryDelay: 5_000, fallbacks: { [PRO]: [FLASH] } } });
    h.fake.script(PRO, [fault.rateLimited({ retryDelayMs: 40_000 })]);
    const outcome = await generate(PRO);
    expect(outcome.ok).toBe(true);
    expect(resilienceInfo(outcome.ok ? outcome.value : undefined)).toMatchObject({
      model: FLASH,
      failovers: 1,
    });
    expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, FLASH]);
    expect(h.waits).toEqual([]);
    // The model stays paused for the whole delay the server named: the next call fails over without sending.
    const next = await generate(PRO);
    expect(resilienceInfo(next.ok ? next.value : undefined)?.model).toBe(FLASH);
    expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, FLASH, FLASH]);
  });

  it('a per-day quota never retries: the model is exhausted until midnight Pacific and calls fail over', async () => {
    await setup({ options: { fallbacks: { [PRO]: [FLASH] } } });
    h.fake.script(PRO, [fault.dailyQuota()]);
    const first = await generate(PRO);
    expect(first.ok ? first.value.modelVersion : first.error).toBe(FLASH);
    const exhausted = named(h.events, 'quotaExhausted');
    expect(exhausted).toHaveLength(1);
    // 12:00 UTC on 1 Dec 2026 is 04:00 PST: the quota returns 20 hours later.
    expect(exhausted[0].until - START).toBe(20 * 3_600_000);
    expect(named(h.events, 'failover')[0]).toMatchObject({ from: PRO, to: FLASH, reason: 'dailyQuota' });
    // Later calls skip the exhausted model without a request.
    const second = await generate(PRO);
    expect(second.ok).toBe(true);
    expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, FLASH, FLASH]);
    expect(named(h.events, 'failover')[1]).toMatchObject({ reason: 'exhaustedEarlier' });
  });

  it('a 429 "limit: 0" (no quota for the model) fails over at once and the model is skipped like a spent day', async () => {
    await setup({ options: { fallbacks: { [PRO]: [FLASH] } } });
    h.fake.setDefault(PRO, fault.noQuota({ dailyViolation: false }));
    const first = await generate(PRO);
    expect(first.ok ? first.value.modelVersion : first.error).toBe(FLASH);
    expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, FLASH]);
    expect(h.waits).toEqual([]);
    expect(named(h.events, 'quotaExhausted')).toEqual([
      {
        model: PRO,
        until: START + 20 * 3_600_000,
        quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
      },
    ]);
    expect(named(h.events, 'failover')[0]).toMatchObject({ from: PRO, to: FLASH, reason: 'dailyQuota' });
    const second = await generate(PRO);
    expect(second.ok).toBe(true);
    expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, FLASH, FLASH]);
    expect(named(h.events, 'failover')[1]).toMatchObject({ reason: 'exhaustedEarlier' });
  });

  it('a per-day quota without a fallback fails with a typed error and its time to reset', async () => {
    await setup();
    h.fake.setDefault(fault.dailyQuota());
    const outcome = await generate(PRO);
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({
      kind: 'dailyQuotaExhausted',
      status: 429,
      retryAfterMs: 20 * 3_600_000,
    });
    expect(h.fake.requests).toHaveLength(1);
    const again = await generate(PRO);
    expect(again.ok ? undefined : again.error).toMatchObject({ kind: 'dailyQuotaExhausted' });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('a 404 model fails over to the next model of its list', async () => {
    await setup({ options: { fallbacks: { 'gemini-9-ultra': [PRO, FLASH] } }, fake: { models: [FLASH] } });
    const outcome = await generate('gemini-9-ultra');
    expect(outcome.ok).toBe(true);
    expect(resilienceInfo(outcome.ok ? outcome.value : undefined)).toEqual({
      requested: 'gemini-9-ultra',
      model: FLASH,
      attempts: 3,
      failovers: 2,
    });
    expect(h.fake.requests.map((r) => r.model)).toEqual(['gemini-9-ultra', PRO, FLASH]);
  });

  it('fails over when a model still fails after its retries', async () => {
    await setup({ options: { maxAttempts: 2, fallbacks: { [PRO]: [FLASH] } } });
    h.fake.setDefault(PRO, fault.overloaded());
    const outcome = await generate(PRO);
    expect(outcome.ok ? outcome.value.modelVersion : outcome.error).toBe(FLASH);
    expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, PRO, FLASH]);
    expect(named(h.events, 'failover')[0]).toMatchObject({ reason: 'retriesExhausted' });
  });

  it('opens the model breaker after consecutive failures; later calls fail over without a request to it', async () => {
    await setup({ options: { maxAttempts: 1, fallbacks: { [PRO]: [FLASH] } } });
    h.fake.setDefault(PRO, fault.overloaded());
    for (let i = 0; i < 5; i++) await generate(PRO);
    expect(h.engine.model(PRO).breaker?.state).toBe('open');
    // The failure that opened it comes along, as in core's stateChange.
    expect(named(h.events, 'breakerState')).toEqual([
      {
        model: PRO,
        from: 'closed',
        to: 'open',
        error: expect.objectContaining({ kind: 'overloaded', status: 503 }),
      },
    ]);
    const before = h.fake.requests.filter((r) => r.model === PRO).length;
    const outcome = await generate(PRO);
    expect(outcome.ok ? outcome.value.modelVersion : outcome.error).toBe(FLASH);
    expect(h.fake.requests.filter((r) => r.model === PRO)).toHaveLength(before);
    expect(named(h.events, 'failover').at(-1)).toMatchObject({ reason: 'breakerOpen' });
  });

  it('has no breaker by default where no model can take over, and one with breaker options', async () => {
    await setup({ options: { fallbacks: { [PRO]: [FLASH] } } });
    expect(h.engine.model(PRO).breaker?.state).toBe('closed');
    expect(h.engine.model(FLASH).breaker).toBeUndefined();
  });

  it('a breaker-open model without fallback fails fast with BrokenCircuitError and its retry time', async () => {
    await setup({ options: { maxAttempts: 1, breaker: { halfOpenAfter: 30_000 } } });
    h.fake.setDefault(fault.overloaded());
    for (let i = 0; i < 5; i++) await generate();
    const outcome = await generate();
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({
      name: 'BrokenCircuitError',
      retryAfterMs: 30_000,
    });
    expect(h.fake.requests).toHaveLength(5);
  });

  it('times out a hung attempt, retries, and answers', async () => {
    await setup({ options: { attemptTimeout: 5_000 } });
    h.fake.script(FLASH, [fault.hang(), ok({ text: 'second' })]);
    const outcome = generate();
    await until(() => h.fake.requests.length === 1);
    await h.clock.advance(5_100);
    const result = await outcome;
    expect(result.ok ? result.value.text : result.error).toBe('second');
    expect(h.fake.requests).toHaveLength(2);
    await until(() => h.fake.requests[0]!.aborted);
    expect(named(h.events, 'retry')[0]).toMatchObject({ kind: 'other' });
    expect(isTimeoutError(named(h.events, 'retry')[0].error)).toBe(true);
  });

  it('the total timeout ends the call with a TimeoutError, not an abort', async () => {
    // Attempts start at 0, ~6 s and ~12 s (5 s timeout + 1 s backoff each); the third is cut by the 15 s total.
    await setup({ options: { attemptTimeout: 5_000, totalTimeout: 15_000 } });
    h.fake.setDefault(fault.hang());
    const outcome = generate();
    for (let n = 1; n <= 2; n++) {
      await until(() => h.fake.requests.length === n);
      await h.clock.advance(5_100);
    }
    await until(() => h.fake.requests.length === 3);
    await h.clock.advance(3_100);
    const result = await outcome;
    expect(isTimeoutError(result.ok ? undefined : result.error)).toBe(true);
    expect(h.fake.requests).toHaveLength(3);
  });

  it('a caller abort during a request rejects with the caller reason, and nothing is sent afterwards', async () => {
    await setup();
    h.fake.setDefault(fault.hang());
    const controller = new AbortController();
    const outcome = generate(FLASH, { abortSignal: controller.signal });
    await until(() => h.fake.requests.length === 1);
    const reason = new Error('user left');
    controller.abort(reason);
    const result = await outcome;
    expect(result.ok ? undefined : result.error).toBe(reason);
    await h.clock.advance(120_000);
    expect(h.fake.requests).toHaveLength(1);
    await until(() => h.fake.requests[0]!.aborted);
  });

  it('a caller abort during a backoff wait rejects at once, and nothing is sent afterwards', async () => {
    await setup({ autoAdvance: false });
    h.fake.setDefault(fault.overloaded());
    const controller = new AbortController();
    const outcome = generate(FLASH, { abortSignal: controller.signal });
    await until(() => named(h.events, 'retry').length === 1);
    controller.abort('stop');
    const result = await outcome;
    expect(result.ok ? undefined : result.error).toBe('stop');
    await h.clock.runAll();
    expect(h.fake.requests).toHaveLength(1);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('returns a blocked answer as the SDK does, without retrying it', async () => {
    await setup();
    h.fake.script(FLASH, [fault.blocked({ reason: 'SAFETY' })]);
    const outcome = await generate();
    expect(outcome.ok ? outcome.value.promptFeedback?.blockReason : outcome.error).toBe('SAFETY');
    expect(h.fake.requests).toHaveLength(1);
  });

  describe('answers that are not answers (responseCheck)', () => {
    it('retries an empty answer (STOP, no parts) by default, then answers', async () => {
      await setup();
      h.fake.script(FLASH, [fault.empty(), fault.empty({ parts: 'emptyText' }), ok({ text: 'done' })]);
      const outcome = await generate();
      expect(outcome.ok ? outcome.value.text : outcome.error).toBe('done');
      expect(h.fake.requests.map((r) => r.answer)).toEqual(['empty', 'empty', 'ok']);
      expect(named(h.events, 'retry').map((e) => [e.kind, e.delay])).toEqual([
        ['empty', 1_000],
        ['empty', 1_000],
      ]);
      expect(h.engine.stats()).toMatchObject({ succeeded: 1, failed: 0, retries: 2 });
    });

    it('fails over a model that keeps answering empty, without opening its breaker', async () => {
      await setup({ options: { fallbacks: { [PRO]: [FLASH] }, breaker: { strategy: consecutive(1) } } });
      h.fake.setDefault(PRO, fault.empty());
      const outcome = await generate(PRO);
      expect(outcome.ok ? outcome.value.modelVersion : outcome.error).toBe(FLASH);
      expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, PRO, PRO, FLASH]);
      expect(named(h.events, 'failover')[0]).toMatchObject({ from: PRO, to: FLASH, reason: 'emptyAnswer' });
      expect(h.engine.model(PRO).breaker?.state).toBe('closed');
    });

    it('with no model left, fails with kind empty; the response is its cause', async () => {
      await setup();
      h.fake.setDefault(fault.empty({ finishReason: 'MAX_TOKENS' }));
      const outcome = await generate();
      const error = outcome.ok ? undefined : outcome.error;
      expect(isGeminiFailure(error)).toBe(true);
      expect(error).toMatchObject({ kind: 'empty', finishReason: 'MAX_TOKENS', model: FLASH });
      expect(error.cause.candidates[0]).toMatchObject({
        content: { role: 'model' },
        finishReason: 'MAX_TOKENS',
      });
      expect(h.fake.requests).toHaveLength(3);
    });

    it.each([
      ['responseCheck: false', false as const],
      ["empty: 'return'", { empty: 'return' as const }],
    ])('returns an empty answer as the SDK does with %s', async (_label, responseCheck) => {
      await setup({ options: { responseCheck } });
      h.fake.script(FLASH, [fault.empty()]);
      const outcome = await generate();
      expect(outcome.ok ? outcome.value.candidates[0].finishReason : outcome.error).toBe('STOP');
      expect(h.fake.requests).toHaveLength(1);
    });

    it("empty: 'fail' fails at once, even with a fallback", async () => {
      await setup({ options: { responseCheck: { empty: 'fail' }, fallbacks: { [FLASH]: [PRO] } } });
      h.fake.script(FLASH, [fault.empty()]);
      const outcome = await generate();
      expect(outcome.ok ? undefined : outcome.error).toMatchObject({ kind: 'empty' });
      expect(h.fake.requests).toHaveLength(1);
    });

    it("blocked: 'failover' moves a blocked answer to the next model at once", async () => {
      await setup({ options: { responseCheck: { blocked: 'failover' }, fallbacks: { [PRO]: [FLASH] } } });
      h.fake.script(PRO, [fault.blocked({ where: 'candidate', reason: 'RECITATION' })]);
      const outcome = await generate(PRO);
      expect(outcome.ok ? outcome.value.text : outcome.error).toBe('hello');
      expect(h.fake.requests.map((r) => r.model)).toEqual([PRO, FLASH]);
      expect(named(h.events, 'failover')[0]).toMatchObject({ reason: 'blocked' });
    });

    it("blocked: 'fail' makes a blocked prompt an error; 'retry' asks again", async () => {
      await setup({ options: { responseCheck: { blocked: 'fail' }, fallbacks: { [FLASH]: [PRO] } } });
      h.fake.script(FLASH, [fault.blocked({ reason: 'PROHIBITED_CONTENT' })]);
      const failed = await generate();
      expect(failed.ok ? undefined : failed.error).toMatchObject({
        kind: 'blocked',
        blockReason: 'PROHIBITED_CONTENT',
      });
      expect(h.fake.requests).toHaveLength(1);
      await h.close();
      await setup({ options: { responseCheck: { blocked: 'retry' } } });
      h.fake.script(FLASH, [fault.blocked({ where: 'candidate' }), ok({ text: 'fine' })]);
      const retried = await generate();
      expect(retried.ok ? retried.value.text : retried.error).toBe('fine');
      expect(named(h.events, 'retry')[0]).toMatchObject({ kind: 'blocked' });
    });

    it('never checks countTokens or embedContent answers', async () => {
      await setup({ options: { responseCheck: { empty: 'fail', blocked: 'fail' } } });
      expect((await h.ai.models.countTokens({ model: FLASH, contents: 'count me' })).totalTokens).toBe(2);
      const embedded = await h.ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'x' });
      expect(embedded.embeddings).toHaveLength(1);
    });

    it('rejects an invalid responseCheck with InvalidOptionError naming it', async () => {
      await setup();
      for (const [responseCheck, name] of [
        [{ empty: 'maybe' }, 'responseCheck.empty'],
        [{ blocked: 1 }, 'responseCheck.blocked'],
        [true, 'responseCheck'],
      ] as const) {
        expect(() =>
          withResilience(sdk.client(h.fake) as object, { responseCheck: responseCheck as never }),
        ).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option: name }));
      }
    });
  });

  it('keeps the SDK retries off even when the client enabled them', async () => {
    await setup({
      options: { maxAttempts: 1 },
      httpOptions: { retryOptions: { attempts: 5, initialDelay: 0 } },
    });
    h.fake.setDefault(fault.overloaded());
    const outcome = await generate();
    expect(outcome.ok).toBe(false);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('covers chats, countTokens and embedContent', async () => {
    await setup();
    h.fake.script({ method: 'generateContent' }, [fault.overloaded()]);
    h.fake.script({ method: 'countTokens' }, [fault.internal()]);
    h.fake.script({ method: 'batchEmbedContents' }, [fault.reset()]);
    const chat = h.ai.chats.create({ model: FLASH });
    const reply = await chat.sendMessage({ message: 'hi there' });
    expect(reply.text).toBe('hi there');
    const count = await h.ai.models.countTokens({ model: FLASH, contents: 'count me please' });
    expect(count.totalTokens).toBeGreaterThan(0);
    const embedded = await h.ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'embed me' });
    expect(embedded.embeddings).toHaveLength(1);
    expect(h.fake.requests.map((r) => r.method)).toEqual([
      'generateContent',
      'generateContent',
      'countTokens',
      'countTokens',
      'batchEmbedContents',
      'batchEmbedContents',
    ]);
  });
});
