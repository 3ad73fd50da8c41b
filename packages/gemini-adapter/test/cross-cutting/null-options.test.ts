/**
 * The adapter and its fake server check options with core's validator, so they follow its rules: an omitted
 * option takes its default, null is refused (InvalidOptionError naming the option's path), never read as
 * "omitted". Before the shared validator, several of these silently took the default.
 */
import { isInvalidOptionError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { withResilience } from '../../src/index.js';
import { type FakeGeminiOptions, fault, ok, startFakeGemini } from '../../src/testing/index.js';
import { unreachableClient } from '../support/sdks.js';

function optionOf(build: () => unknown): string | undefined {
  try {
    build();
  } catch (error) {
    expect(isInvalidOptionError(error), `threw ${String(error)}`).toBe(true);
    return (error as { option: string }).option;
  }
  return undefined;
}

async function optionOfServer(options: FakeGeminiOptions): Promise<string | undefined> {
  try {
    const fake = await startFakeGemini(options);
    await fake.close();
  } catch (error) {
    expect(isInvalidOptionError(error), `threw ${String(error)}`).toBe(true);
    return (error as { option: string }).option;
  }
  return undefined;
}

describe('null is refused, never taken for the default', () => {
  it.each([
    ['responseCheck.empty', { responseCheck: { empty: null } }],
    ['responseCheck.blocked', { responseCheck: { blocked: null } }],
    ['limits.gemini-2.5-pro', { limits: { 'gemini-2.5-pro': null } }],
    ['fallbacks.gemini-2.5-pro', { fallbacks: { 'gemini-2.5-pro': null } }],
  ])('withResilience: %s', (option, options) => {
    expect(optionOf(() => withResilience(unreachableClient(), options as never))).toBe(option);
  });

  it.each([
    ['port', { port: null }],
    ['clock', { clock: null }],
    ['text', { text: null }],
    ['models', { models: null }],
    ['apiKey', { apiKey: null }],
    ['embeddingDimensions', { embeddingDimensions: null }],
    ['defaultBehaviour', { defaultBehaviour: null }],
    ['capacity', { capacity: null }],
    ['capacity.gemini-2.5-pro', { capacity: { 'gemini-2.5-pro': null } }],
    ['quotas', { quotas: null }],
    ['quotas.gemini-2.5-pro', { quotas: { 'gemini-2.5-pro': null } }],
    ['quotas.gemini-2.5-pro.rpm', { quotas: { 'gemini-2.5-pro': { rpm: null } } }],
  ])('startFakeGemini: %s', async (option, options) => {
    expect(await optionOfServer(options as never)).toBe(option);
  });

  it.each([
    ['chunks', () => ok({ chunks: null as never })],
    ['delayMs', () => fault.internal({ delayMs: null as never })],
    ['metric', () => fault.rateLimited({ metric: null as never })],
    ['retryDelayMs', () => fault.rateLimited({ retryDelayMs: null as never })],
    ['dailyViolation', () => fault.noQuota({ dailyViolation: null as never })],
    ['parts', () => fault.empty({ parts: null as never })],
    ['finishReason', () => fault.empty({ finishReason: null as never })],
    ['where', () => fault.blocked({ where: null as never })],
    ['status', () => fault.nonJson({ status: null as never })],
    ['afterChunks', () => fault.streamError({ afterChunks: null as never })],
  ])('fault builders: %s', (option, build) => {
    expect(optionOf(build)).toBe(option);
  });

  it('omitted options still take their defaults', async () => {
    expect(optionOf(() => withResilience(unreachableClient(), { responseCheck: {} }))).toBeUndefined();
    expect(optionOf(() => [ok(), fault.rateLimited(), fault.empty(), fault.blocked(), fault.nonJson()])).toBe(
      undefined,
    );
    expect(await optionOfServer({})).toBeUndefined();
  });
});
