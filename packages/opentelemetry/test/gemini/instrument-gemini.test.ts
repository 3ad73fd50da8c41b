import { InvalidOptionError } from '@bulwark/core';
import { resilienceInfo } from '@bulwark/gemini-adapter';
import { fault, ok } from '@bulwark/gemini-adapter/testing';
import { GoogleGenAI } from '@google/genai';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentGemini } from '../../src/index.js';
import { type GeminiSetup, geminiSetup } from '../support/gemini.js';
import { metricsHarness, tracesHarness } from '../support/otel.js';

const PRO = 'gemini-2.5-pro';
const FLASH = 'gemini-2.5-flash';
const LITE = 'gemini-2.5-flash-lite';

let setup: GeminiSetup | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await setup?.close();
  setup = undefined;
});

async function story(options = {}) {
  setup = await geminiSetup({ fallbacks: { [PRO]: [FLASH, LITE] }, ...options });
  const metrics = metricsHarness();
  const traces = tracesHarness();
  cleanups.push(() => metrics.shutdown());
  const stop = instrumentGemini(setup.ai, {
    meterProvider: metrics.meterProvider,
    tracerProvider: traces.tracerProvider,
  });
  cleanups.push(stop);
  return { ...setup, ...metrics, ...traces, stop };
}

const call = (model: string) => ({
  'gen_ai.operation.name': 'generate_content',
  'gen_ai.provider.name': 'gcp.gemini',
  'gen_ai.request.model': model,
});
const ofModel = (model: string) => ({ 'bulwark.pipeline.name': 'gemini', 'gen_ai.request.model': model });

describe('instrumentGemini: a call through the real SDK against the fake server', () => {
  it('a 429, an overload and a failover: GenAI metrics, per-model counts, one span with its story', async () => {
    const s = await story();
    s.fake.script(PRO, [fault.rateLimited({ retryDelayMs: 2_000 })]);
    s.fake.setDefault(PRO, fault.overloaded());
    const response = await s.settle(s.ai.models.generateContent({ model: PRO, contents: 'Hello there' }));
    expect(resilienceInfo(response)).toMatchObject({ model: FLASH, attempts: 4, failovers: 1 });
    const usage = response.usageMetadata!;

    const m = await s.collect();
    const answered = { ...call(PRO), 'gen_ai.response.model': FLASH };
    // The 429's 2 s pause (its hint is longer than the 1 s backoff), then a 1 s backoff, on the virtual clock.
    expect(m.histogram('gen_ai.client.operation.duration', answered)).toEqual({ count: 1, sum: 3 });
    expect(m.metrics.get('gen_ai.client.operation.duration')?.descriptor.unit).toBe('s');
    expect(m.metrics.get('gen_ai.client.token.usage')?.descriptor.unit).toBe('{token}');
    expect(m.histogram('gen_ai.client.token.usage', { ...answered, 'gen_ai.token.type': 'input' })).toEqual({
      count: 1,
      sum: usage.promptTokenCount,
    });
    expect(m.histogram('gen_ai.client.token.usage', { ...answered, 'gen_ai.token.type': 'output' })).toEqual({
      count: 1,
      sum: usage.candidatesTokenCount,
    });
    expect(m.value('bulwark.gemini.requests', ofModel(PRO))).toBe(3);
    expect(m.value('bulwark.gemini.requests', ofModel(FLASH))).toBe(1);
    expect(s.fake.requests.map((r) => r.model)).toEqual([PRO, PRO, PRO, FLASH]);
    expect(
      m.value('bulwark.gemini.retries', {
        ...ofModel(PRO),
        'error.type': 'rateLimited',
        'bulwark.retry.delay_source': 'hint',
      }),
    ).toBe(1);
    expect(
      m.value('bulwark.gemini.retries', {
        ...ofModel(PRO),
        'error.type': 'overloaded',
        'bulwark.retry.delay_source': 'backoff',
      }),
    ).toBe(1);
    expect(
      m.value('bulwark.gemini.failovers', {
        ...ofModel(PRO),
        'bulwark.gemini.failover.to': FLASH,
        'bulwark.gemini.failover.reason': 'retriesExhausted',
      }),
    ).toBe(1);
    expect(m.histogram('bulwark.gemini.pause.duration', ofModel(PRO))).toEqual({ count: 1, sum: 2 });
    expect(m.value('bulwark.circuit.state', { ...ofModel(PRO), 'bulwark.circuit.state': 'closed' })).toBe(1);
    expect(m.value('bulwark.gemini.quota.exhausted', ofModel(FLASH))).toBe(0);

    const [span, ...others] = s.spans();
    expect(others).toHaveLength(0);
    expect(span!.name).toBe(`generate_content ${PRO}`);
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toMatchObject({
      ...answered,
      'gen_ai.usage.input_tokens': usage.promptTokenCount,
      'gen_ai.usage.output_tokens': usage.candidatesTokenCount,
      'bulwark.gemini.attempts': 4,
      'bulwark.gemini.failovers': 1,
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(s.events(span!).map((e) => e.name)).toEqual([
      'bulwark.gemini.request',
      'bulwark.gemini.pause',
      'bulwark.gemini.retry',
      'bulwark.gemini.request',
      'bulwark.gemini.retry',
      'bulwark.gemini.request',
      'bulwark.gemini.failover',
      'bulwark.gemini.request',
    ]);
    expect(s.events(span!)[2]!.attributes).toEqual({
      'gen_ai.request.model': PRO,
      'bulwark.retry.attempt': 1,
      'bulwark.retry.delay': 2,
      'bulwark.retry.delay_source': 'hint',
      'error.type': 'rateLimited',
    });
    expect(s.events(span!)[6]!.attributes).toEqual({
      'gen_ai.request.model': PRO,
      'bulwark.gemini.failover.to': FLASH,
      'bulwark.gemini.failover.reason': 'retriesExhausted',
    });
  });

  it('daily quotas: marks counted and seen by the gauge; a call that fails for good has its error.type', async () => {
    const s = await story();
    s.fake.setDefault(PRO, fault.dailyQuota());
    s.fake.setDefault(FLASH, fault.dailyQuota());
    s.fake.setDefault(LITE, fault.badRequest());
    const failed = await s
      .settle(s.ai.models.generateContent({ model: PRO, contents: 'Hi' }))
      .catch((e) => e);
    expect(failed.kind).toBe('clientError');

    const m = await s.collect();
    expect(
      m.histogram('gen_ai.client.operation.duration', { ...call(PRO), 'error.type': 'clientError' })?.count,
    ).toBe(1);
    for (const model of [PRO, FLASH]) {
      expect(m.value('bulwark.gemini.quota_exhaustions', ofModel(model))).toBe(1);
      expect(m.value('bulwark.gemini.quota.exhausted', ofModel(model))).toBe(1);
    }
    expect(m.value('bulwark.gemini.quota.exhausted', ofModel(LITE))).toBe(0);
    expect(
      m.value('bulwark.gemini.failovers', {
        ...ofModel(PRO),
        'bulwark.gemini.failover.to': FLASH,
        'bulwark.gemini.failover.reason': 'dailyQuota',
      }),
    ).toBe(1);
    expect(m.points('gen_ai.client.token.usage')).toHaveLength(0);

    const [span] = s.spans();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe('clientError');
    expect(s.events(span!).filter((e) => e.name === 'bulwark.gemini.quota_exhausted')).toHaveLength(2);

    // A later call skips the spent models without a request.
    s.fake.setDefault(LITE, ok({ text: 'lite' }));
    await s.settle(s.ai.models.generateContent({ model: PRO, contents: 'Hi' }));
    const again = await s.collect();
    expect(
      again.value('bulwark.gemini.failovers', {
        ...ofModel(PRO),
        'bulwark.gemini.failover.to': FLASH,
        'bulwark.gemini.failover.reason': 'exhaustedEarlier',
      }),
    ).toBe(1);
  });

  it('streams: the call lasts until the stream ends; usage from its last chunk', async () => {
    const s = await story();
    s.fake.setDefault(FLASH, ok({ text: 'one two three four', chunks: 3 }));
    const stream = await s.settle(s.ai.models.generateContentStream({ model: FLASH, contents: 'Count' }));
    expect(s.spans()).toHaveLength(0); // not over until it is read to its end
    let text = '';
    let last: { usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number } } | undefined;
    const reading = (async () => {
      for await (const chunk of stream) {
        text += chunk.text ?? '';
        last = chunk;
      }
    })();
    await s.settle(reading);
    expect(text).toBe('one two three four');
    expect(resilienceInfo(stream)?.model).toBe(FLASH); // the adapter's stream object, observed in place

    const m = await s.collect();
    const answered = { ...call(FLASH), 'gen_ai.response.model': FLASH };
    expect(m.histogram('gen_ai.client.operation.duration', answered)?.count).toBe(1);
    expect(m.histogram('gen_ai.client.token.usage', { ...answered, 'gen_ai.token.type': 'output' })).toEqual({
      count: 1,
      sum: last!.usageMetadata!.candidatesTokenCount,
    });
    const [span] = s.spans();
    expect(span!.attributes['gen_ai.usage.input_tokens']).toBe(last!.usageMetadata!.promptTokenCount);
  });

  it('stop() gives the methods back and reports nothing more; no span without a tracer', async () => {
    setup = await geminiSetup();
    const wrapped = setup.ai.models.generateContent;
    const metrics = metricsHarness();
    cleanups.push(() => metrics.shutdown());
    const stop = instrumentGemini(setup.ai, { meterProvider: metrics.meterProvider, tracerProvider: false });
    expect(setup.ai.models.generateContent).not.toBe(wrapped);
    expect(() => instrumentGemini(setup!.ai)).toThrow(InvalidOptionError);
    await setup.settle(setup.ai.models.generateContent({ model: FLASH, contents: 'a' }));
    stop();
    expect(setup.ai.models.generateContent).toBe(wrapped);
    await setup.settle(setup.ai.models.generateContent({ model: FLASH, contents: 'b' }));
    const m = await metrics.collect();
    expect(
      m.histogram('gen_ai.client.operation.duration', { ...call(FLASH), 'gen_ai.response.model': FLASH })
        ?.count,
    ).toBe(1);
    expect(m.value('bulwark.gemini.requests', ofModel(FLASH))).toBe(1);
    // It can be instrumented again once stopped.
    instrumentGemini(setup.ai, { meterProvider: metrics.meterProvider })();
  });

  it('refuses a client that withResilience did not wrap', () => {
    let thrown: unknown;
    try {
      instrumentGemini(new GoogleGenAI({ apiKey: 'test' }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe('ai');
  });
});
