import { parseGeminiError } from '@bulwark/gemini-adapter';
import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { fullScenario, type Scenario } from '../src/storm/scenario.js';
import { OK, OVERLOADED, QUOTA } from '../src/storm/service/model.js';
import { type StormService, startStormService } from '../src/storm/service/server.js';
import { protoDuration } from '../src/storm/service/wire.js';

/** Real time (scale 1): two requests per minute of capacity, a quota of three per minute. */
const scenario: Scenario = {
  ...fullScenario,
  scale: 1,
  latencyMs: 1,
  capacityWindowMs: 60_000,
  phases: [
    { name: 'healthy', durationMs: 60_000, capacity: 2 / 60 },
    { name: 'overload', durationMs: 60_000, capacity: 2 / 60 },
    { name: 'recovery', durationMs: 60_000, capacity: 2 / 60 },
  ],
  quotaPerMinute: 3,
};

let service: StormService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function failureOf(pending: Promise<unknown>): Promise<unknown> {
  try {
    await pending;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('storm service on the wire', () => {
  it('speaks Gemini to the real SDK: answers, 503 UNAVAILABLE, then 429 with RetryInfo', async () => {
    service = await startStormService(scenario);
    service.begin();
    const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: service.url } });
    const call = () => ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'ping' });

    expect((await call()).text).toBe('pong');
    expect((await call()).text).toBe('pong');
    const overloaded = parseGeminiError(await failureOf(call()));
    expect(overloaded.kind).toBe('overloaded');
    expect(overloaded.status).toBe(503);

    const limited = parseGeminiError(await failureOf(call()));
    expect(limited.kind).toBe('rateLimited');
    expect(limited.status).toBe(429);
    expect(limited.quotaId).toBe('GenerateRequestsPerMinutePerProjectPerModel');
    // The oldest counted request leaves the sliding minute within 60 s (one 3 s slice of rounding).
    expect(limited.retryAfterMs).toBeGreaterThan(50_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);

    const log = await service.close();
    service = undefined;
    expect([...log.outcomes]).toEqual([OK, OK, OVERLOADED, QUOTA]);
    expect(log.unrouted).toBe(0);
    expect([...log.times].every((t, i, all) => t >= 0 && (i === 0 || t >= all[i - 1]!))).toBe(true);
  });

  it('answers 404 to anything but generateContent and does not log it', async () => {
    service = await startStormService(scenario);
    service.begin();
    const response = await fetch(`${service.url}/v1/models/gemini-2.5-flash:countTokens`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(404);
    await response.arrayBuffer();
    const log = await service.close();
    service = undefined;
    expect(log.times).toHaveLength(0);
    expect(log.unrouted).toBe(1);
  });

  it('writes RetryInfo durations the way google.rpc.Duration reads', () => {
    expect(protoDuration(48_000)).toBe('48s');
    expect(protoDuration(4_250)).toBe('4.25s');
    expect(protoDuration(-5)).toBe('0s');
  });
});
