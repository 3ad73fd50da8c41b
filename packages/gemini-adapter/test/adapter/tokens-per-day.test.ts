/**
 * Tokens per day (TPD) beside RPM/TPM/RPD: the client-side limit charges each attempt's input tokens to today's
 * Pacific day and is corrected by usageMetadata; the fake server's own TPD answers Gemini's per-day token 429.
 */
import { InvalidOptionError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { resilienceInfo, withResilience } from '../../src/index.js';
import { startFakeGemini } from '../../src/testing/index.js';
import { settle } from '../support/helpers.js';
import { harnessPerTest, named, START } from '../support/harness.js';
import { sdks, unreachableClient } from '../support/sdks.js';

const FLASH = 'gemini-2.5-flash';
const LITE = 'gemini-2.5-flash-lite';
/** The next midnight Pacific after START (noon UTC, 4 am in Los Angeles). */
const RESET = START + 20 * 3_600_000;
/** 80 tokens, by the adapter's estimate and by the fake's count alike. */
const LONG = 'x'.repeat(320);

describe.each(sdks)('tokens per day ($name)', (sdk) => {
  const { h, setup } = harnessPerTest({ sdk });
  const generate = (contents: string, model = FLASH) =>
    settle(h.ai.models.generateContent({ model, contents }));
  const answeredBy = (outcome: Awaited<ReturnType<typeof generate>>) =>
    resilienceInfo(outcome.ok ? outcome.value : undefined)?.model;

  it('a prompt that does not fit what is left of today fails over; smaller ones still fit; the day resets', async () => {
    await setup({ options: { limits: { [FLASH]: { tpd: 200 } }, fallbacks: { [FLASH]: [LITE] } } });
    expect(answeredBy(await generate(LONG))).toBe(FLASH);
    expect(answeredBy(await generate(LONG))).toBe(FLASH);
    // 160 of 200 spent: another 80 does not fit, 2 do.
    const third = await generate(LONG);
    expect(answeredBy(third)).toBe(LITE);
    expect(named(h.events, 'failover')).toMatchObject([{ from: FLASH, to: LITE, reason: 'dailyQuota' }]);
    expect(h.engine.model(FLASH).exhaustedUntil()).toBeUndefined();
    expect(named(h.events, 'quotaExhausted')).toEqual([]);
    expect(answeredBy(await generate('hello'))).toBe(FLASH);
    expect(h.fake.requests.map((r) => r.model)).toEqual([FLASH, FLASH, LITE, FLASH]);
    // The next Pacific day, the whole allowance is back.
    await h.clock.advanceTo(RESET);
    expect(answeredBy(await generate(LONG))).toBe(FLASH);
  });

  it('without a fallback, the caller gets a dailyQuotaExhausted failure naming the limit, and nothing is sent', async () => {
    await setup({ options: { limits: { [FLASH]: { tpd: 100 } } } });
    await generate(LONG);
    const outcome = await generate(LONG);
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({
      name: 'GeminiFailure',
      kind: 'dailyQuotaExhausted',
      quotaValue: 100,
      retryAfterMs: RESET - START,
    });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('is corrected by the tokens the server counted, not the estimate', async () => {
    await setup({ options: { limits: { [FLASH]: { tpd: 400 } } } });
    // The estimate charges 258 tokens per media part (80 + 258 = 338); the fake counts only the text (80).
    const media = { inlineData: { mimeType: 'image/png', data: 'AAAA' } };
    const first = await settle(
      h.ai.models.generateContent({
        model: FLASH,
        contents: [{ role: 'user', parts: [{ text: LONG }, media] }],
      }),
    );
    expect(first.ok ? first.value.usageMetadata.promptTokenCount : first.error).toBe(80);
    // 320 left after the correction (62 by the estimate): 300 tokens fit, 321 do not.
    expect((await generate('y'.repeat(1_284))).ok).toBe(false);
    expect(answeredBy(await generate('y'.repeat(1_200)))).toBe(FLASH);
  });

  it("the server's per-day token 429 marks the model exhausted until midnight Pacific and fails over", async () => {
    await setup({ options: { fallbacks: { [FLASH]: [LITE] } }, fake: { quotas: { [FLASH]: { tpd: 100 } } } });
    expect(answeredBy(await generate(LONG))).toBe(FLASH);
    expect(answeredBy(await generate(LONG))).toBe(LITE);
    expect(h.fake.requests.map((r) => `${r.model}: ${r.answer}`)).toEqual([
      `${FLASH}: ok`,
      `${FLASH}: dailyQuota`,
      `${LITE}: ok`,
    ]);
    expect(named(h.events, 'quotaExhausted')).toEqual([
      { model: FLASH, until: RESET, quotaId: 'GenerateContentInputTokensPerModelPerDay-FreeTier' },
    ]);
    expect(h.engine.model(FLASH).exhaustedUntil()).toBe(RESET);
  });
});

describe('tokens per day, options', () => {
  it.each([0, 1.5, -3, '10'])(
    'limits.<model>.tpd %j is refused with an InvalidOptionError naming it',
    (tpd) => {
      const make = () => withResilience(unreachableClient(), { limits: { m: { tpd } } } as never);
      expect(make).toThrow(InvalidOptionError);
      expect(make).toThrow('limits.m.tpd');
    },
  );

  it("the fake server's quotas.<model>.tpd is checked the same way", async () => {
    await expect(startFakeGemini({ quotas: { m: { tpd: 0 } } })).rejects.toThrow('quotas.m.tpd');
  });
});
