/**
 * A pool of real SDK clients, one per API key, against one fake server that knows which project each key
 * belongs to; the first key's client is the wrapped one, the others are its targets. All on one virtual clock.
 */
import { constant } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { GoogleGenAI } from '@google/genai';
import { afterEach } from 'vitest';
import {
  type GeminiResilience,
  type GeminiResilienceOptions,
  resilienceOf,
  withResilience,
} from '../../src/index.js';
import { type FakeGemini, type FakeGeminiOptions, startFakeGemini } from '../../src/testing/index.js';
import { recordEvents, START } from './harness.js';

export interface Pool {
  readonly fake: FakeGemini;
  readonly ai: GoogleGenAI;
  readonly engine: GeminiResilience;
  readonly clock: VirtualClock;
  readonly events: Array<[string, any]>;
}

export interface PoolSetup {
  /** API key -> project, in pool order: the first is the wrapped client's. */
  readonly keys: ReadonlyArray<readonly [key: string, project: string]>;
  readonly options?: GeminiResilienceOptions;
  readonly fake?: FakeGeminiOptions;
}

/** Each test's pool: `setup()` starts one, closed after the test. */
export function poolPerTest(): { setup(setup: PoolSetup): Promise<Pool> } {
  let fake: FakeGemini | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  return {
    async setup({ keys, options, fake: fakeOptions }) {
      const clock = new VirtualClock(START);
      fake = await startFakeGemini({ clock, keys: Object.fromEntries(keys), ...fakeOptions });
      const client = (key: string) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: fake!.url } });
      const [[firstKey, firstProject], ...rest] = keys as [
        readonly [string, string],
        ...(readonly [string, string])[],
      ];
      const ai = withResilience(client(firstKey), {
        backoff: constant(1_000),
        concurrency: false,
        retryBudget: false,
        clock,
        project: firstProject,
        targets: rest.map(([key, project]) => ({ client: client(key), project })),
        ...options,
      });
      const engine = resilienceOf(ai);
      const events: Array<[string, any]> = [];
      recordEvents(engine, events);
      // Each announced wait (a retry's backoff, a pause) is played on the virtual clock once its timer exists.
      const play = (delay: number | undefined): void => {
        if (delay === undefined) return;
        const target = clock.now() + delay;
        setImmediate(() => void clock.advanceTo(target));
      };
      engine.events.on('retry', (e) => play(e.delay));
      engine.events.on('wait', (e) => play(e.delay));
      return { fake, ai, engine, clock, events };
    },
  };
}
