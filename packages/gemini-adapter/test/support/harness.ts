/** A resilient SDK client against a fresh fake server, both on one virtual clock: THE adapter test harness. */
import { constant } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { afterEach } from 'vitest';
import {
  type GeminiResilience,
  type GeminiResilienceOptions,
  resilienceOf,
  withResilience,
} from '../../src/index.js';
import { type FakeGemini, type FakeGeminiOptions, startFakeGemini } from '../../src/testing/index.js';
import type { Client, Sdk } from './sdks.js';

/** Noon UTC: far from the Pacific midnight, so daily quotas do not reset mid-test. */
export const START = Date.UTC(2026, 11, 1, 12);

export interface Harness {
  readonly fake: FakeGemini;
  readonly ai: Client;
  readonly engine: GeminiResilience;
  readonly clock: VirtualClock;
  /** Every wait the adapter announced (retry delays, pauses, limit queueing), in order. */
  readonly waits: number[];
  /** Every adapter event, as [name, payload]. */
  readonly events: Array<[string, any]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly sdk: Sdk;
  readonly options?: GeminiResilienceOptions;
  readonly fake?: FakeGeminiOptions;
  readonly httpOptions?: Record<string, unknown>;
  /** Advance the virtual clock through each announced wait (default true). */
  readonly autoAdvance?: boolean;
}

/**
 * Default options make waits visible but short: retries wait a constant 1 s unless a test chooses otherwise.
 * With `autoAdvance`, each announced wait is played on the virtual clock once the waiting timer exists.
 */
export async function harness(setup: HarnessOptions): Promise<Harness> {
  const clock = new VirtualClock(START);
  const fake = await startFakeGemini({ clock, ...setup.fake });
  const ai = withResilience(setup.sdk.client(fake, setup.httpOptions), {
    backoff: constant(1_000),
    // The adaptive limit holds refused calls' slots on timers nobody announces; tests of the decision table
    // leave it out (concurrency.test.ts tests it), and the retry budget, so every retry in a story happens.
    concurrency: false,
    retryBudget: false,
    clock,
    ...setup.options,
  });
  const engine = resilienceOf(ai);
  const waits: number[] = [];
  const events: Array<[string, any]> = [];
  recordEvents(engine, events);
  if (setup.autoAdvance !== false) {
    const play = (delay: number | undefined): void => {
      if (delay === undefined) return;
      waits.push(delay);
      const target = clock.now() + delay;
      setImmediate(() => void clock.advanceTo(target));
    };
    engine.events.on('retry', (e) => play(e.delay));
    engine.events.on('wait', (e) => play(e.delay));
  }
  return { fake, ai, engine, clock, waits, events, close: () => fake.close() };
}

/** Every adapter event the tests look at. */
const EVENTS = [
  'request',
  'retry',
  'wait',
  'paused',
  'failover',
  'breakerState',
  'quotaExhausted',
  'retarget',
  'targetUnusable',
  'success',
  'failure',
] as const;

/** Records every adapter event of `engine` into `events`, as [name, payload]. */
export function recordEvents(engine: GeminiResilience, events: Array<[string, any]>): void {
  for (const name of EVENTS) engine.events.on(name, (payload: any) => events.push([name, payload]));
}

export function named(events: Array<[string, any]>, name: string): any[] {
  return events.filter(([n]) => n === name).map(([, payload]) => payload);
}

/**
 * The harness of each test in a describe block: `setup()` starts a fresh one (the block's `defaults`, then the
 * test's own options, shallowly), `h` reads the one the running test started, and it is closed after the test.
 */
export function harnessPerTest(defaults: HarnessOptions): {
  readonly h: Harness;
  setup(own?: Partial<HarnessOptions>): Promise<Harness>;
} {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const started = (): Harness => {
    if (current === undefined) throw new Error('harnessPerTest: call setup() first');
    return current;
  };
  const h: Harness = {
    get fake() {
      return started().fake;
    },
    get ai() {
      return started().ai;
    },
    get engine() {
      return started().engine;
    },
    get clock() {
      return started().clock;
    },
    get waits() {
      return started().waits;
    },
    get events() {
      return started().events;
    },
    close: () => started().close(),
  };
  return {
    h,
    async setup(own = {}) {
      current = await harness({ ...defaults, ...own });
      return current;
    },
  };
}
