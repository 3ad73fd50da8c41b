/**
 * The fake server's projects: keys that belong to projects (quotas per project, shared by its keys), revoked keys,
 * per-model input token limits and models.get, through the real SDK.
 */
import { VirtualClock } from '@bulwark/core/testing';
import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGeminiError } from '../../src/index.js';
import { type FakeGemini, type FakeGeminiOptions, startFakeGemini } from '../../src/testing/index.js';
import { settle } from '../support/helpers.js';
import { START } from '../support/harness.js';

const FLASH = 'gemini-2.5-flash';

describe('fake Gemini: projects, keys and context limits', () => {
  let fake: FakeGemini | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const start = async (options: FakeGeminiOptions) => {
    fake = await startFakeGemini({ clock: new VirtualClock(START), ...options });
    return fake;
  };
  const client = (key: string) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: fake!.url } });
  const ask = (key: string) => settle(client(key).models.generateContent({ model: FLASH, contents: 'hi' }));

  it("quotas count per project: two keys of one project share them, another project's key has its own", async () => {
    await start({
      keys: { a1: 'project-a', a2: 'project-a', b: 'project-b' },
      quotas: { [FLASH]: { rpm: 2 } },
    });
    const outcomes = [await ask('a1'), await ask('a2'), await ask('a1'), await ask('b')];
    expect(outcomes.map((o) => (o.ok ? 'ok' : parseGeminiError(o.error).kind))).toEqual([
      'ok',
      'ok',
      'rateLimited',
      'ok',
    ]);
    expect(fake!.requests.map((r) => r.project)).toEqual([
      'project-a',
      'project-a',
      'project-a',
      'project-b',
    ]);
  });

  it('a key it does not know answers 400 API_KEY_INVALID; a revoked key 403 CONSUMER_SUSPENDED', async () => {
    await start({ keys: { a: 'project-a' }, revokedKeys: ['old'] });
    const unknown = await ask('nope');
    expect(unknown.ok ? undefined : parseGeminiError(unknown.error)).toMatchObject({
      status: 400,
      credentialsRefused: true,
    });
    const revoked = await ask('old');
    expect(revoked.ok ? undefined : parseGeminiError(revoked.error)).toMatchObject({
      status: 403,
      rpcStatus: 'PERMISSION_DENIED',
      credentialsRefused: true,
    });
    expect(fake!.requests.map((r) => r.answer)).toEqual(['apiKeyInvalid', 'keyRevoked']);
  });

  it("a prompt over the model's input token limit answers Gemini's 400; models.get reports the limit", async () => {
    await start({ inputTokenLimits: { [FLASH]: 10, '*': 500 } });
    const ai = client('any');
    const tooLong = await settle(ai.models.generateContent({ model: FLASH, contents: 'x'.repeat(44) }));
    expect(tooLong.ok ? undefined : parseGeminiError(tooLong.error)).toMatchObject({
      kind: 'contextWindowExceeded',
      inputTokens: 11,
      inputTokenLimit: 10,
    });
    // countTokens is never refused: it is how a client finds out.
    expect((await ai.models.countTokens({ model: FLASH, contents: 'x'.repeat(44) })).totalTokens).toBe(11);
    expect((await ai.models.get({ model: FLASH })).inputTokenLimit).toBe(10);
    expect((await ai.models.get({ model: 'other' })).inputTokenLimit).toBe(500);
    expect(fake!.requests.map((r) => `${r.method}: ${r.answer}`)).toEqual([
      'generateContent: contextWindowExceeded',
      'countTokens: ok',
      'get: ok',
      'get: ok',
    ]);
  });

  it('refuses bad options with an InvalidOptionError naming them', async () => {
    await expect(startFakeGemini({ keys: { k: '' } })).rejects.toThrow('keys.k');
    await expect(startFakeGemini({ keys: [] as never })).rejects.toThrow('keys');
    await expect(startFakeGemini({ revokedKeys: 'k' as never })).rejects.toThrow('revokedKeys');
    await expect(startFakeGemini({ inputTokenLimits: { m: 0 } })).rejects.toThrow('inputTokenLimits.m');
  });
});
