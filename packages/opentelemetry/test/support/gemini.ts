/**
 * The real `@google/genai` SDK, made resilient with `withResilience`, against a fresh fake Gemini server, both on
 * one virtual clock; `settle(call)` plays the waits the adapter announces on that clock.
 */
import { constant } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { type GeminiResilienceOptions, resilienceOf, withResilience } from '@bulwark/gemini-adapter';
import { type FakeGemini, type FakeGeminiOptions, startFakeGemini } from '@bulwark/gemini-adapter/testing';
import { GoogleGenAI } from '@google/genai';

/** Noon UTC: far from midnight Pacific, so daily quotas do not reset during a test. */
export const START = Date.UTC(2026, 11, 1, 12);

export interface GeminiSetup {
  readonly fake: FakeGemini;
  readonly ai: GoogleGenAI;
  readonly clock: VirtualClock;
  settle<T>(call: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function geminiSetup(
  options: GeminiResilienceOptions = {},
  fakeOptions: FakeGeminiOptions = {},
): Promise<GeminiSetup> {
  const clock = new VirtualClock(START);
  const fake = await startFakeGemini({ clock, ...fakeOptions });
  const ai = withResilience(new GoogleGenAI({ apiKey: 'test', httpOptions: { baseUrl: fake.url } }), {
    backoff: constant(1_000),
    concurrency: false,
    retryBudget: false,
    clock,
    ...options,
  });
  // A call waits locally from a `retry` or `wait` event until its next `request`: only then may time move.
  let waiting = false;
  const { events } = resilienceOf(ai);
  events.on('retry', () => (waiting = true));
  events.on('wait', () => (waiting = true));
  events.on('request', () => (waiting = false));
  return {
    fake,
    ai,
    clock,
    async settle<T>(call: Promise<T>): Promise<T> {
      let done = false;
      call.then(
        () => (done = true),
        () => (done = true),
      );
      while (!done) {
        const due = clock.nextDue;
        if (waiting && due !== undefined) await clock.advanceTo(due);
        else await new Promise((resolve) => setImmediate(resolve));
      }
      return call;
    },
    close: () => fake.close(),
  };
}
