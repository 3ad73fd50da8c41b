/** The fake server's own features: scripts, defaults, recording, routes, capacity, quotas, delays, close. */
import { InvalidOptionError } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGeminiError } from '../../src/index.js';
import {
  type FakeGemini,
  type FakeGeminiOptions,
  fault,
  ok,
  startFakeGemini,
} from '../../src/testing/index.js';
import { collect, settle, textOf, until } from '../support/helpers.js';
import { type Client, sdks } from '../support/sdks.js';

const sdk3 = sdks[0]!;
const PRO = 'gemini-2.5-pro';
const FLASH = 'gemini-2.5-flash';

let fake: FakeGemini | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options?: FakeGeminiOptions): Promise<{ fake: FakeGemini; ai: Client }> {
  fake = await startFakeGemini(options);
  return { fake, ai: sdk3.client(fake) };
}

/** One generateContent call; resolves to the text or to the classified failure's kind. */
async function call(ai: Client, model: string, contents = 'hi'): Promise<string> {
  const outcome = await settle(ai.models.generateContent({ model, contents }));
  return outcome.ok ? `ok:${outcome.value.text}` : parseGeminiError(outcome.error).kind;
}

function post(server: FakeGemini, path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('scripts and defaults', () => {
  it('plays a per-model story, then falls back to the default; other models are untouched', async () => {
    const { fake, ai } = await start();
    fake.script(PRO, [fault.overloaded(), fault.overloaded(), ok({ text: 'finally' })]);
    expect(fake.pendingSteps).toBe(3);
    expect(await call(ai, FLASH)).toBe('ok:hi');
    expect(await call(ai, PRO)).toBe('overloaded');
    expect(await call(ai, PRO)).toBe('overloaded');
    expect(await call(ai, PRO)).toBe('ok:finally');
    expect(await call(ai, PRO, 'echo')).toBe('ok:echo');
    expect(fake.pendingSteps).toBe(0);
    expect(fake.requests.map((r) => `${r.model} ${r.answer}`)).toEqual([
      `${FLASH} ok`,
      `${PRO} overloaded`,
      `${PRO} overloaded`,
      `${PRO} ok`,
      `${PRO} ok`,
    ]);
  });

  it('prefers the most specific script, and a catch-all script serves anything', async () => {
    const { fake, ai } = await start();
    fake.script([fault.internal(), fault.internal()]);
    fake.script({ model: PRO, method: 'generateContent' }, [fault.deadlineExceeded()]);
    fake.script(PRO, [fault.badRequest()]);
    expect(await call(ai, PRO)).toBe('deadline');
    expect(await call(ai, PRO)).toBe('clientError');
    expect(await call(ai, PRO)).toBe('serverError');
    expect(await call(ai, FLASH)).toBe('serverError');
    expect(await call(ai, FLASH)).toBe('ok:hi');
  });

  it('matches on method and API version', async () => {
    const { fake, ai } = await start();
    fake.script({ method: 'countTokens' }, [fault.overloaded()]);
    fake.script({ apiVersion: 'v1beta' }, [fault.internal()]);
    expect(await call(ai, FLASH)).toBe('ok:hi');
    const counted = await settle(ai.models.countTokens({ model: FLASH, contents: 'x' }));
    expect(counted.ok).toBe(false);
    const beta = sdk3.client(fake, { apiVersion: 'v1beta' });
    expect(await call(beta, FLASH)).toBe('serverError');
    expect(fake.requests.map((r) => r.apiVersion)).toEqual(['v1', 'v1', 'v1beta']);
  });

  it('takes functions as steps and defaults, deciding per request', async () => {
    const { fake, ai } = await start({
      defaultBehaviour: (request) => (request.prompt.includes('bad') ? fault.badRequest() : ok()),
    });
    fake.script([(request) => ok({ text: `#${request.index}` })]);
    expect(await call(ai, FLASH)).toBe('ok:#0');
    expect(await call(ai, FLASH, 'bad input')).toBe('clientError');
    expect(await call(ai, FLASH, 'fine')).toBe('ok:fine');
  });

  it('setDefault changes what unscripted requests get, per model or for all', async () => {
    const { fake, ai } = await start({ text: 'constant' });
    fake.setDefault(PRO, fault.overloaded());
    expect(await call(ai, PRO)).toBe('overloaded');
    expect(await call(ai, FLASH)).toBe('ok:constant');
    fake.setDefault(fault.internal());
    expect(await call(ai, FLASH)).toBe('serverError');
    expect(await call(ai, PRO)).toBe('overloaded');
    fake.setDefault(PRO, ok({ text: 'recovered' }));
    expect(await call(ai, PRO)).toBe('ok:recovered');
  });

  it('reset forgets scripts, defaults and requests', async () => {
    const { fake, ai } = await start();
    fake.script(PRO, [fault.overloaded()]);
    fake.setDefault(fault.internal());
    await call(ai, FLASH);
    fake.reset();
    expect(fake.pendingSteps).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(await call(ai, PRO)).toBe('ok:hi');
    expect(fake.requests[0]!.index).toBe(0);
  });

  it('a step that throws answers 500 instead of crashing the server', async () => {
    const { fake, ai } = await start();
    fake.script([
      () => {
        throw new Error('bug in test');
      },
    ]);
    expect(await call(ai, FLASH)).toBe('serverError');
    expect(fake.requests[0]!.answer).toBe('stepThrew');
    expect(await call(ai, FLASH)).toBe('ok:hi');
  });
});

describe('routes and request checks', () => {
  it('serves /v1 and /v1beta, generate, count and both embed methods over plain HTTP', async () => {
    const { fake } = await start({ embeddingDimensions: 4 });
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'abcdefgh' }] }] });
    for (const version of ['v1', 'v1beta']) {
      const response = await post(fake, `/${version}/models/${FLASH}:generateContent`, body);
      expect(response.status).toBe(200);
      expect((await response.json()).candidates[0].content.parts[0].text).toBe('abcdefgh');
    }
    const count = await post(fake, `/v1beta/models/${FLASH}:countTokens`, body);
    expect(await count.json()).toMatchObject({ totalTokens: 2 });
    const single = await post(
      fake,
      '/v1beta/models/text-embedding-004:embedContent',
      JSON.stringify({ content: { parts: [{ text: 'abc' }] } }),
    );
    expect((await single.json()).embedding.values).toHaveLength(4);
    const batch = await post(
      fake,
      '/v1beta/models/text-embedding-004:batchEmbedContents',
      JSON.stringify({ requests: [{ content: { parts: [{ text: 'abc' }] } }] }),
    );
    expect((await batch.json()).embeddings).toHaveLength(1);
  });

  it('answers unknown paths, methods and versions with a JSON 404', async () => {
    const { fake } = await start();
    for (const path of [`/v2/models/${FLASH}:generateContent`, `/v1/models/${FLASH}:explode`, '/hello']) {
      const response = await post(fake, path, '{}');
      expect(response.status).toBe(404);
      expect((await response.json()).error.status).toBe('NOT_FOUND');
    }
    const get = await fetch(`${fake.url}/v1/models/${FLASH}:generateContent`);
    expect(get.status).toBe(404);
    expect(fake.requests.map((r) => r.answer)).toEqual(['unrouted', 'unrouted', 'unrouted', 'unrouted']);
  });

  it('answers an unparseable request body with 400 INVALID_ARGUMENT', async () => {
    const { fake } = await start();
    const response = await post(fake, `/v1/models/${FLASH}:generateContent`, '{not json');
    expect(response.status).toBe(400);
    expect((await response.json()).error.status).toBe('INVALID_ARGUMENT');
    expect(fake.requests[0]!.body).toBe('{not json');
  });

  it('with `models`, answers 404 for the others (through the SDK: kind notFound)', async () => {
    const { ai } = await start({ models: [FLASH] });
    expect(await call(ai, FLASH)).toBe('ok:hi');
    expect(await call(ai, 'gemini-1.0-pro')).toBe('notFound');
  });

  it('with `apiKey`, answers a wrong key with 400 API_KEY_INVALID (kind clientError)', async () => {
    const { fake, ai } = await start({ apiKey: 'secret' });
    const outcome = await settle(ai.models.generateContent({ model: FLASH, contents: 'x' }));
    const failure = parseGeminiError(outcome.ok ? undefined : outcome.error);
    expect(failure).toMatchObject({ kind: 'clientError', status: 400, rpcStatus: 'INVALID_ARGUMENT' });
    expect(failure.details[0]).toMatchObject({ reason: 'API_KEY_INVALID' });
    const good = new GoogleGenAI({
      apiKey: 'secret',
      httpOptions: { baseUrl: fake.url },
    }) as unknown as Client;
    expect(await call(good, FLASH)).toBe('ok:hi');
  });
});

describe('capacity (load shedding)', () => {
  it('serves N requests per second and answers the rest 503, on the server clock', async () => {
    const clock = new VirtualClock(1_000_000);
    const { fake, ai } = await start({ clock, capacity: 2 });
    const burst = await Promise.all([call(ai, PRO), call(ai, FLASH), call(ai, PRO), call(ai, FLASH)]);
    expect(burst.filter((r) => r === 'overloaded')).toHaveLength(2);
    expect(fake.requests.filter((r) => r.answer === 'capacity')).toHaveLength(2);
    await clock.advance(999);
    expect(await call(ai, PRO)).toBe('overloaded');
    await clock.advance(1);
    expect(await call(ai, PRO)).toBe('ok:hi');
  });

  it('takes per-model capacities with a wildcard', async () => {
    const clock = new VirtualClock();
    const { ai } = await start({ clock, capacity: { [PRO]: 1, '*': 2 } });
    expect([await call(ai, PRO), await call(ai, PRO)]).toEqual(['ok:hi', 'overloaded']);
    expect([await call(ai, FLASH), await call(ai, FLASH), await call(ai, FLASH)]).toEqual([
      'ok:hi',
      'ok:hi',
      'overloaded',
    ]);
    expect(await call(ai, 'gemini-2.0-flash')).toBe('ok:hi');
  });

  it('scripted steps bypass the capacity', async () => {
    const clock = new VirtualClock();
    const { fake, ai } = await start({ clock, capacity: 1 });
    fake.script([ok(), ok()]);
    expect([await call(ai, PRO), await call(ai, PRO), await call(ai, PRO)]).toEqual([
      'ok:hi',
      'ok:hi',
      'ok:hi',
    ]);
    expect(await call(ai, PRO)).toBe('overloaded');
  });
});

describe('quotas', () => {
  // 2026-11-22 12:00 UTC = 04:00 Pacific; the daily quota resets at 2026-11-23 08:00 UTC.
  const T0 = Date.UTC(2026, 10, 22, 12);

  it('RPM: the 429 names the quota and the exact time the window frees, fractional', async () => {
    const clock = new VirtualClock(T0);
    const { ai } = await start({ clock, quotas: { [PRO]: { rpm: 2 } } });
    await clock.advance(600);
    expect(await call(ai, PRO)).toBe('ok:hi');
    await clock.advance(9400);
    expect(await call(ai, PRO)).toBe('ok:hi');
    await clock.advance(15_000);
    const outcome = await settle(ai.models.generateContent({ model: PRO, contents: 'x' }));
    const failure = parseGeminiError(outcome.ok ? undefined : outcome.error, { now: clock.now() });
    expect(failure).toMatchObject({
      kind: 'rateLimited',
      retryAfterMs: 35_600,
      quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
      quotaValue: 2,
      model: PRO,
    });
    expect(failure.serverMessage).toContain('Please retry in 35.6s.');
    await clock.advance(35_599);
    expect(await call(ai, PRO)).toBe('rateLimited');
    await clock.advance(1);
    expect(await call(ai, PRO)).toBe('ok:hi');
    expect(await call(ai, FLASH)).toBe('ok:hi');
  });

  it('RPD: refused with a short RetryInfo until midnight Pacific, then served again', async () => {
    const clock = new VirtualClock(T0);
    const { fake, ai } = await start({ clock, quotas: { '*': { rpd: 2 } } });
    expect([await call(ai, PRO), await call(ai, PRO)]).toEqual(['ok:hi', 'ok:hi']);
    await clock.advance(90_000);
    const outcome = await settle(ai.models.generateContent({ model: PRO, contents: 'x' }));
    const failure = parseGeminiError(outcome.ok ? undefined : outcome.error, { now: clock.now() });
    expect(failure).toMatchObject({
      kind: 'dailyQuotaExhausted',
      quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
      retryInfoMs: 30_000,
      retryAfterMs: Date.UTC(2026, 10, 23, 8) - clock.now(),
    });
    // Each model has its own day; countTokens is not counted.
    expect(await call(ai, FLASH)).toBe('ok:hi');
    expect((await ai.models.countTokens({ model: PRO, contents: 'x' })).totalTokens).toBe(1);
    await clock.advanceTo(Date.UTC(2026, 10, 23, 8) - 1);
    expect(await call(ai, PRO)).toBe('dailyQuotaExhausted');
    await clock.advance(1);
    expect(await call(ai, PRO)).toBe('ok:hi');
    expect(fake.requests.map((r) => r.answer).filter((a) => a === 'dailyQuota')).toHaveLength(2);
  });

  it('TPM: input tokens per minute, a request that does not fit waits for enough room', async () => {
    const clock = new VirtualClock(T0);
    const { ai } = await start({ clock, quotas: { [FLASH]: { tpm: 10 } } });
    const sixTokens = 'x'.repeat(24);
    expect(await call(ai, FLASH, sixTokens)).toBe(`ok:${sixTokens}`);
    await clock.advance(1000);
    const outcome = await settle(ai.models.generateContent({ model: FLASH, contents: sixTokens }));
    expect(parseGeminiError(outcome.ok ? undefined : outcome.error)).toMatchObject({
      kind: 'rateLimited',
      quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
      retryAfterMs: 59_000,
    });
    expect(await call(ai, FLASH, 'four')).toBe('ok:four');
  });

  it('rejects invalid quota and capacity options at start', async () => {
    await expect(startFakeGemini({ quotas: { [PRO]: { rpm: 0 } } })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(startFakeGemini({ capacity: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(startFakeGemini({ capacity: { [PRO]: Number.NaN } })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
  });
});

describe('time: delays and stalls on the server clock', () => {
  it('delayMs holds the answer until the clock reaches it', async () => {
    const clock = new VirtualClock();
    const { fake, ai } = await start({ clock });
    fake.script([fault.overloaded({ delayMs: 5000 })]);
    let settled = false;
    const pending = call(ai, PRO).finally(() => {
      settled = true;
    });
    await until(() => clock.pendingTimers === 1);
    await clock.advance(4999);
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(await pending).toBe('overloaded');
    expect(clock.pendingTimers).toBe(0);
  });

  it('a stall with a duration resumes the stream and finishes it', async () => {
    const clock = new VirtualClock();
    const { fake, ai } = await start({ clock });
    fake.script([fault.stall({ afterChunks: 1, ms: 30_000 })]);
    const result = collect(ai.models.generateContentStream({ model: PRO, contents: 'abcdefghi' }));
    await until(() => clock.pendingTimers === 1);
    await clock.advance(30_000);
    const { chunks, error } = await result;
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe('abcdefghi');
    expect(chunks.at(-1).candidates[0].finishReason).toBe('STOP');
  });

  it('chunkDelayMs spaces the chunks', async () => {
    const clock = new VirtualClock();
    const { fake, ai } = await start({ clock });
    fake.script([ok({ text: 'aabbcc', chunks: 3, chunkDelayMs: 100 })]);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const _chunk of await ai.models.generateContentStream({ model: PRO, contents: 'x' })) {
        seen.push(clock.now());
      }
    })();
    for (let i = 0; i < 2; i++) {
      await until(() => clock.pendingTimers === 1);
      await clock.advance(100);
    }
    await reading;
    expect(seen).toEqual([0, 100, 200]);
  });

  it('records request times from the server clock', async () => {
    const clock = new VirtualClock(5000);
    const { fake, ai } = await start({ clock });
    await call(ai, PRO);
    await clock.advance(250);
    await call(ai, PRO);
    expect(fake.requests.map((r) => r.time)).toEqual([5000, 5250]);
  });

  it('an aborted wait leaves no timer behind', async () => {
    const clock = new VirtualClock();
    const { fake, ai } = await start({ clock });
    fake.script([fault.stall({ ms: 60_000 })]);
    const caller = new AbortController();
    const result = collect(
      ai.models.generateContentStream({ model: PRO, contents: 'x', config: { abortSignal: caller.signal } }),
    );
    await until(() => clock.pendingTimers === 1);
    caller.abort();
    expect((await result).error.name).toBe('AbortError');
    await until(() => fake.requests[0]!.aborted);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('close', () => {
  it('ends hung and stalled connections so callers and tests never hang', async () => {
    const clock = new VirtualClock();
    const { fake, ai } = await start({ clock });
    fake.script({ method: 'generateContent' }, [fault.hang()]);
    fake.script({ method: 'streamGenerateContent' }, [fault.stall({ afterChunks: 1 })]);
    const hung = settle(ai.models.generateContent({ model: PRO, contents: 'x' }));
    const stalled = collect(ai.models.generateContentStream({ model: PRO, contents: 'hello there' }));
    await until(() => fake.requests.length === 2 && fake.requests.every((r) => r.answer !== 'pending'));
    await fake.close();
    const hungOutcome = await hung;
    expect(parseGeminiError(hungOutcome.ok ? undefined : hungOutcome.error).kind).toBe('network');
    const { chunks, error } = await stalled;
    expect(chunks.length).toBeLessThanOrEqual(1);
    expect(parseGeminiError(error).kind).toBe('network');
    expect(fake.requests.every((r) => r.aborted)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await fake.close(); // idempotent
  });
});

describe('options and fault validation', () => {
  it.each([
    [{ port: -1 }],
    [{ port: 1.5 }],
    [{ text: 42 }],
    [{ models: 'gemini' }],
    [{ apiKey: 1 }],
    [{ embeddingDimensions: 0 }],
    [{ defaultBehaviour: 'ok' }],
    [{ clock: {} }],
  ])('rejects %j with InvalidOptionError', async (options) => {
    await expect(startFakeGemini(options as unknown as FakeGeminiOptions)).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
  });

  it('rejects bad fault parameters and bad steps at once', async () => {
    expect(() => fault.stall({ ms: -1 })).toThrow(InvalidOptionError);
    expect(() => fault.streamError({ afterChunks: 1.5 })).toThrow(InvalidOptionError);
    expect(() => fault.rateLimited({ retryDelayMs: Number.POSITIVE_INFINITY })).toThrow(InvalidOptionError);
    expect(() => ok({ chunks: -2 })).toThrow(InvalidOptionError);
    expect(() => fault.overloaded({ delayMs: Number.NaN })).toThrow(InvalidOptionError);
    const { fake } = await start();
    expect(() => fake.script(PRO, [{} as never])).toThrow(InvalidOptionError);
    expect(() => fake.script(PRO, 'nope' as never)).toThrow(InvalidOptionError);
    expect(() => fake.setDefault(42 as never)).toThrow(InvalidOptionError);
  });
});
