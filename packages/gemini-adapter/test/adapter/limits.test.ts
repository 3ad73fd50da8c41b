/**
 * Client-side limits per model (RPM, TPM, RPD): a burst queues locally instead of collecting 429s; token costs
 * are estimated before the call and corrected with usageMetadata; options are validated.
 */
import { InvalidOptionError } from '@bulwark/core';
import type { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { estimateInputTokens, resilienceInfo, resilienceOf, withResilience } from '../../src/index.js';
import { settle, until } from '../support/helpers.js';
import { harnessPerTest, named, START } from '../support/harness.js';
import { sdks, unreachableClient } from '../support/sdks.js';

const FLASH = 'gemini-2.5-flash';
const LITE = 'gemini-2.5-flash-lite';
const sdk = sdks[0]!;

describe('withResilience, client-side limits', () => {
  const { h, setup } = harnessPerTest({ sdk });
  const generate = (model = FLASH, contents = 'hello') =>
    settle(h.ai.models.generateContent({ model, contents }));

  it('an RPM limit queues a burst locally: the server never answers 429', async () => {
    await setup({
      options: { limits: { [FLASH]: { rpm: 3 } }, maxQueueWait: 180_000 },
      fake: { quotas: { [FLASH]: { rpm: 3 } } },
      autoAdvance: false,
    });
    const outcomes = Promise.all(Array.from({ length: 7 }, () => generate()));
    for (const sent of [3, 6]) {
      await until(() => h.fake.requests.length === sent && h.engine.stats().succeeded === sent);
      expect(h.fake.requests).toHaveLength(sent);
      await h.clock.advance(66_000);
    }
    expect((await outcomes).every((o) => o.ok)).toBe(true);
    expect(h.fake.requests.map((r) => r.answer)).toEqual(Array(7).fill('ok'));
    expect(h.fake.requests.map((r) => Math.floor((r.time - START) / 60_000))).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(named(h.events, 'wait').map((w) => w.reason)).toEqual(Array(4).fill('limit'));
  });

  it('a burst beyond maxQueueWait fails over (or fails) with a typed RateLimitedError instead of waiting', async () => {
    await setup({ options: { limits: { [FLASH]: { rpm: 1 } }, maxQueueWait: 10_000 } });
    const outcomes = await Promise.all([generate(), generate()]);
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[1]!.ok ? undefined : outcomes[1]!.error).toMatchObject({ name: 'RateLimitedError' });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('a TPM limit charges estimated input tokens and corrects them with usageMetadata', async () => {
    await setup({ options: { limits: { [FLASH]: { tpm: 100 } } }, autoAdvance: false });
    // ~80 tokens estimated (320 characters); the fake counts characters / 4 as well.
    const long = 'x'.repeat(320);
    const first = await generate(FLASH, long);
    expect(first.ok ? first.value.usageMetadata.promptTokenCount : first.error).toBe(80);
    const second = generate(FLASH, long);
    await until(() => named(h.events, 'wait').length === 1);
    expect(h.fake.requests).toHaveLength(1);
    await h.clock.advance(70_000);
    expect((await second).ok).toBe(true);
    expect(h.fake.requests).toHaveLength(2);
  });

  it('a call whose tokens can never fit the TPM limit fails at once with a typed error', async () => {
    await setup({ options: { limits: { [FLASH]: { tpm: 10 } } } });
    const outcome = await generate(FLASH, 'y'.repeat(400));
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ name: 'RateLimitCostError' });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('an RPD limit marks the model exhausted until midnight Pacific and fails over', async () => {
    await setup({ options: { limits: { [FLASH]: { rpd: 2 } }, fallbacks: { [FLASH]: [LITE] } } });
    for (let i = 0; i < 3; i++) await generate();
    expect(h.fake.requests.map((r) => r.model)).toEqual([FLASH, FLASH, LITE]);
    expect(named(h.events, 'failover')[0]).toMatchObject({ reason: 'dailyQuota' });
    expect(h.engine.model(FLASH).exhaustedUntil()).toBe(START + 20 * 3_600_000);
    expect(named(h.events, 'quotaExhausted')).toEqual([
      { model: FLASH, until: START + 20 * 3_600_000, quotaId: undefined },
    ]);
    // The next Pacific day, the model is back.
    await h.clock.advanceTo(START + 20 * 3_600_000);
    const back = await generate();
    expect(resilienceInfo(back.ok ? back.value : undefined)?.model).toBe(FLASH);
  });

  it('estimates input tokens from text parts and media, never throwing on odd input', () => {
    expect(estimateInputTokens({ contents: 'abcd'.repeat(10) })).toBe(10);
    expect(
      estimateInputTokens({ contents: [{ role: 'user', parts: [{ text: 'abcd' }, { inlineData: {} }] }] }),
    ).toBe(1 + 258);
    expect(estimateInputTokens(undefined)).toBe(1);
    const cyclic: any = { parts: [] };
    cyclic.parts.push(cyclic);
    expect(estimateInputTokens({ contents: cyclic })).toBeGreaterThanOrEqual(1);
  });
});

describe('withResilience, options and misuse', () => {
  it.each([
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ maxAttempts: 1.5 }, 'maxAttempts'],
    [{ attemptTimeout: -1 }, 'attemptTimeout'],
    [{ totalTimeout: Number.NaN }, 'totalTimeout'],
    [{ idleTimeout: 0 }, 'idleTimeout'],
    [{ limits: { m: { rpm: 0 } } }, 'limits.m.rpm'],
    [{ limits: { m: { tpm: 1.5 } } }, 'limits.m.tpm'],
    [{ fallbacks: { m: 'other' } }, 'fallbacks.m'],
    [{ backoff: 5 }, 'backoff'],
    [{ maxRetryDelay: Number.POSITIVE_INFINITY }, 'maxRetryDelay'],
    [{ breaker: { halfOpenAfter: -1 } }, 'breaker.halfOpenAfter'],
  ])('rejects %j with an InvalidOptionError naming %s', (options, option) => {
    expect(() => withResilience(unreachableClient(), options as never)).toThrow(InvalidOptionError);
    expect(() => withResilience(unreachableClient(), options as never)).toThrow(option);
  });

  it('rejects what is not a client, and a second wrapping', () => {
    expect(() => withResilience({} as never)).toThrow(InvalidOptionError);
    const ai = withResilience(unreachableClient());
    expect(() => withResilience(ai)).toThrow(/already/);
    expect(() => resilienceOf(unreachableClient())).toThrow(InvalidOptionError);
  });

  it('returns the same instance, typed as before', () => {
    const ai = unreachableClient();
    const same: GoogleGenAI = withResilience(ai);
    expect(same).toBe(ai);
  });

  it('rejects a call without a model name as a typed error, before any request', async () => {
    const ai = withResilience(unreachableClient());
    await expect(ai.models.generateContent({ model: '', contents: 'x' })).rejects.toThrow(InvalidOptionError);
  });
});
