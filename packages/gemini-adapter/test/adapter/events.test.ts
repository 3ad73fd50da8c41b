/**
 * The adapter's events and stats in core's shape: every payload names its model (core: its policy), the same field
 * names as core's for the same things, and `stats()` a snapshot like core's `stats()`.
 */
import type { CircuitState } from '@bulwark/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { GeminiBreakerStateEvent, GeminiResilienceStats, GeminiRetryEvent } from '../../src/index.js';
import { fault, ok } from '../../src/testing/index.js';
import { settle } from '../support/helpers.js';
import { harnessPerTest, named } from '../support/harness.js';
import { sdks } from '../support/sdks.js';

const PRO = 'gemini-2.5-pro';
const FLASH = 'gemini-2.5-flash';

describe('withResilience: events and stats in core’s shape', () => {
  const { h, setup } = harnessPerTest({ sdk: sdks[0]! });
  const generate = (model = FLASH) => settle(h.ai.models.generateContent({ model, contents: 'hello' }));

  it('every payload names its model; a retry carries core’s attempt, delay, delaySource and error', async () => {
    await setup({ options: { maxAttempts: 2, fallbacks: { [PRO]: [FLASH] } } });
    h.fake.setDefault(PRO, fault.overloaded());
    const outcome = await generate(PRO);
    expect(outcome.ok).toBe(true);
    expect(h.events.length).toBeGreaterThan(0);
    for (const [, payload] of h.events) expect(typeof payload.model).toBe('string');
    const [retry] = named(h.events, 'retry');
    expect(retry).toEqual({
      model: PRO,
      attempt: 1,
      delay: 1_000,
      delaySource: 'backoff',
      kind: 'overloaded',
      error: expect.objectContaining({ kind: 'overloaded', status: 503 }),
    });
    expect(named(h.events, 'failover')).toEqual([
      { model: PRO, from: PRO, to: FLASH, reason: 'retriesExhausted', error: expect.anything() },
    ]);
    expect(named(h.events, 'success')).toEqual([
      { model: FLASH, requested: PRO, attempts: 3, failovers: 1, duration: 1_000 },
    ]);
  });

  it('a retry that waits the server’s RetryInfo says so: delaySource hint', async () => {
    await setup();
    h.fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 5_000 }), ok()]);
    expect((await generate()).ok).toBe(true);
    expect(named(h.events, 'retry')).toEqual([
      expect.objectContaining({
        model: FLASH,
        attempt: 1,
        delay: 5_000,
        delaySource: 'hint',
        kind: 'rateLimited',
      }),
    ]);
  });

  it('a failure names the last model tried, next to the one requested', async () => {
    await setup({ options: { maxAttempts: 1, fallbacks: { [PRO]: [FLASH] } } });
    h.fake.setDefault(PRO, fault.overloaded());
    h.fake.setDefault(FLASH, fault.internal());
    const outcome = await generate(PRO);
    expect(outcome.ok).toBe(false);
    expect(named(h.events, 'failure')).toEqual([
      {
        model: FLASH,
        requested: PRO,
        error: outcome.ok ? undefined : outcome.error,
        attempts: 2,
        failovers: 1,
        duration: 0,
      },
    ]);
  });

  it('stats() is a snapshot of the counters, like core’s stats()', async () => {
    await setup();
    const before = h.engine.stats();
    expect(before).toEqual({ calls: 0, succeeded: 0, failed: 0, requests: 0, retries: 0, failovers: 0 });
    expect((await generate()).ok).toBe(true);
    expect(before.calls).toBe(0);
    expect(h.engine.stats()).toEqual({
      calls: 1,
      succeeded: 1,
      failed: 0,
      requests: 1,
      retries: 0,
      failovers: 0,
    });
    // A snapshot cannot be written to (type-level), and writing to a copy changes nothing.
    // @ts-expect-error the counters are readonly
    before.calls = 10;
    expect(h.engine.stats().calls).toBe(1);
    expectTypeOf(h.engine.stats()).toEqualTypeOf<GeminiResilienceStats>();
  });

  it('payload types: core’s names and types for the same things', () => {
    expectTypeOf<GeminiRetryEvent['delaySource']>().toEqualTypeOf<'backoff' | 'hint'>();
    expectTypeOf<GeminiBreakerStateEvent['from']>().toEqualTypeOf<CircuitState>();
    expectTypeOf<GeminiBreakerStateEvent['to']>().toEqualTypeOf<CircuitState>();
  });
});
