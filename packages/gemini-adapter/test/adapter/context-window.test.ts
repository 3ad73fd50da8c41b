/**
 * The context-window guard: a prompt checked against the model's input token limit (options, or models.get
 * cached) before it is sent, counted with countTokens when the estimate is near the limit; too long, it fails at
 * once with a typed local error or goes to a larger-context fallback. The server's own "input token count
 * exceeds" 400 is classified the same way.
 */
import { InvalidOptionError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { resilienceInfo, withResilience } from '../../src/index.js';
import { settle } from '../support/helpers.js';
import { harnessPerTest, named } from '../support/harness.js';
import { sdks, unreachableClient } from '../support/sdks.js';

const LITE = 'gemini-2.0-flash-lite';
const FLASH = 'gemini-2.5-flash';
const PRO = 'gemini-2.5-pro';

describe.each(sdks)('the context window ($name)', (sdk) => {
  const { h, setup } = harnessPerTest({ sdk });
  const generate = (contents: string, model = LITE) =>
    settle(h.ai.models.generateContent({ model, contents }));
  const sent = () => h.fake.requests.map((r) => `${r.method} ${r.model}: ${r.answer}`);

  it('a prompt too long for the model fails at once with a typed local error: nothing is generated', async () => {
    await setup({ options: { contextWindow: { limits: { [LITE]: 100 } } } });
    // 200 tokens estimated: above 80 % of the limit, so it is counted (200), then refused.
    const outcome = await generate('x'.repeat(800));
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({
      name: 'GeminiFailure',
      kind: 'contextWindowExceeded',
      inputTokens: 200,
      inputTokenLimit: 100,
      model: LITE,
    });
    expect(sent()).toEqual([`countTokens ${LITE}: ok`]);
  });

  it('well below the limit, the estimate decides: no countTokens', async () => {
    await setup({ options: { contextWindow: { limits: { [LITE]: 100 } } } });
    expect((await generate('x'.repeat(200))).ok).toBe(true);
    expect(sent()).toEqual([`generateContent ${LITE}: ok`]);
  });

  it('near the limit, countTokens decides: an estimate over the limit that counts under it is sent', async () => {
    // The estimate charges 258 tokens per media part; the fake counts only the text.
    await setup({ options: { contextWindow: { limits: { [LITE]: 300 } } } });
    const media = { inlineData: { mimeType: 'image/png', data: 'AAAA' } };
    const outcome = await settle(
      h.ai.models.generateContent({
        model: LITE,
        contents: [{ role: 'user', parts: [{ text: 'hello' }, media] }],
      }),
    );
    expect(outcome.ok).toBe(true);
    expect(sent()).toEqual([`countTokens ${LITE}: ok`, `generateContent ${LITE}: ok`]);
  });

  it("looks the limit up with models.get once, and reads the server's inputTokenLimit", async () => {
    await setup({ options: { contextWindow: {} }, fake: { inputTokenLimits: { [LITE]: 50 } } });
    const first = await generate('x'.repeat(400));
    expect(first.ok ? undefined : first.error).toMatchObject({
      kind: 'contextWindowExceeded',
      inputTokenLimit: 50,
    });
    expect((await generate('short')).ok).toBe(true);
    expect(sent()).toEqual([`get ${LITE}: ok`, `countTokens ${LITE}: ok`, `generateContent ${LITE}: ok`]);
  });

  it('goes to a configured larger-context fallback, not the ordinary fallbacks', async () => {
    await setup({
      options: {
        fallbacks: { [LITE]: [PRO] },
        contextWindow: { limits: { [LITE]: 100, [FLASH]: 10_000 }, fallbacks: { [LITE]: [FLASH] } },
      },
    });
    const outcome = await generate('x'.repeat(800));
    expect(resilienceInfo(outcome.ok ? outcome.value : undefined)?.model).toBe(FLASH);
    expect(named(h.events, 'failover')).toMatchObject([{ from: LITE, to: FLASH, reason: 'contextWindow' }]);
    expect(sent()).toEqual([`countTokens ${LITE}: ok`, `generateContent ${FLASH}: ok`]);
  });

  it('the server\'s own 400 "input token count exceeds" is classified the same way, and is never retried', async () => {
    await setup({ fake: { inputTokenLimits: { [LITE]: 50 } } });
    const outcome = await generate('x'.repeat(400));
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({
      kind: 'contextWindowExceeded',
      status: 400,
      rpcStatus: 'INVALID_ARGUMENT',
      inputTokens: 100,
      inputTokenLimit: 50,
      credentialsRefused: false,
    });
    expect(sent()).toEqual([`generateContent ${LITE}: contextWindowExceeded`]);
  });

  it("with context fallbacks, the server's refusal goes to the larger model too, and teaches the limit", async () => {
    await setup({
      options: { contextWindow: { lookup: false, fallbacks: { [LITE]: [FLASH] } } },
      fake: { inputTokenLimits: { [LITE]: 50 } },
    });
    const first = await generate('x'.repeat(400));
    expect(resilienceInfo(first.ok ? first.value : undefined)?.model).toBe(FLASH);
    // The limit the server named is known now: the next long prompt is counted, not sent to LITE.
    const second = await generate('y'.repeat(400));
    expect(resilienceInfo(second.ok ? second.value : undefined)?.model).toBe(FLASH);
    expect(sent()).toEqual([
      `generateContent ${LITE}: contextWindowExceeded`,
      `generateContent ${FLASH}: ok`,
      `countTokens ${LITE}: ok`,
      `generateContent ${FLASH}: ok`,
    ]);
  });

  it('streams are checked the same way', async () => {
    await setup({ options: { contextWindow: { limits: { [LITE]: 10 } } } });
    const outcome = await settle(
      h.ai.models.generateContentStream({ model: LITE, contents: 'x'.repeat(400) }),
    );
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ kind: 'contextWindowExceeded' });
    expect(h.fake.requests.every((r) => r.method === 'countTokens')).toBe(true);
  });

  it('a caller abort while the limit is looked up rejects with its reason', async () => {
    await setup({ options: { contextWindow: {} } });
    const controller = new AbortController();
    const call = settle(
      h.ai.models.generateContent({ model: LITE, contents: 'x', config: { abortSignal: controller.signal } }),
    );
    const reason = new Error('stop');
    controller.abort(reason);
    expect(await call).toEqual({ ok: false, error: reason });
  });
});

describe('contextWindow, options', () => {
  it.each([
    [{ contextWindow: 5 }, 'contextWindow'],
    [{ contextWindow: null }, 'contextWindow'],
    [{ contextWindow: { limits: { m: 0 } } }, 'contextWindow.limits.m'],
    [{ contextWindow: { limits: [] } }, 'contextWindow.limits'],
    [{ contextWindow: { countAbove: 1.5 } }, 'contextWindow.countAbove'],
    [{ contextWindow: { lookup: 'yes' } }, 'contextWindow.lookup'],
    [{ contextWindow: { fallbacks: { m: 'n' } } }, 'contextWindow.fallbacks.m'],
  ])('rejects %j with an InvalidOptionError naming %s', (options, option) => {
    const make = () => withResilience(unreachableClient(), options as never);
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(option);
  });
});
