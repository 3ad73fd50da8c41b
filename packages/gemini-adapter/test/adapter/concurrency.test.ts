/**
 * The per-model adaptive concurrency limit inside withResilience, through the real SDK: calls above the limit
 * wait locally (never reaching the server), the limit falls when the model answers 503 and the calls it holds
 * are served later instead of failing.
 */
import { constant } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { fault, ok } from '../../src/testing/index.js';
import { settle, until } from '../support/helpers.js';
import { harnessPerTest, named, START } from '../support/harness.js';
import { sdks } from '../support/sdks.js';

const PRO = 'gemini-2.5-pro';
const FLASH = 'gemini-2.5-flash';

describe('withResilience, adaptive concurrency per model', () => {
  const { h, setup } = harnessPerTest({ sdk: sdks[0]!, autoAdvance: false });
  const generate = (model = FLASH) => settle(h.ai.models.generateContent({ model, contents: 'hello' }));

  it('holds calls above the limit locally and sends them as slots free up', async () => {
    await setup({ options: { concurrency: { initialLimit: 4, initialRtt: 1_000 } } });
    h.fake.setDefault(ok({ delayMs: 1_000 }));
    const calls = Array.from({ length: 8 }, generate);
    await until(() => h.fake.requests.length === 4 && named(h.events, 'wait').length === 4);
    expect(named(h.events, 'wait').every((w) => w.reason === 'concurrency')).toBe(true);
    expect(h.engine.model(FLASH).concurrency?.stats()).toMatchObject({ inFlight: 4, queued: 4 });
    // Nothing more reaches the server until an answer frees a slot.
    await h.clock.advance(999);
    expect(h.fake.requests).toHaveLength(4);
    // Then the held calls leave, paced, never more than the limit in flight.
    while (h.engine.stats().succeeded < 8) {
      const before = h.engine.stats().succeeded + h.fake.requests.length;
      await h.clock.advance(250);
      await until(
        () => h.engine.stats().succeeded + h.fake.requests.length >= before || h.clock.pendingTimers > 0,
      );
      const stats = h.engine.model(FLASH).concurrency!.stats();
      expect(stats.inFlight).toBeLessThanOrEqual(Math.max(1, Math.floor(stats.limit)));
    }
    expect((await Promise.all(calls)).every((o) => o.ok)).toBe(true);
    expect(h.fake.requests).toHaveLength(8);
  });

  it('lowers the limit when the model answers 503, and the calls it holds are served, not failed', async () => {
    await setup({ options: { maxAttempts: 3, concurrency: { initialLimit: 8, initialRtt: 1_000 } } });
    h.fake.script(
      FLASH,
      Array.from({ length: 4 }, () => fault.overloaded()),
    );
    const calls = Array.from({ length: 8 }, generate);
    await until(() => h.fake.requests.length === 8 && named(h.events, 'retry').length === 4);
    const limit = h.engine.model(FLASH).concurrency!.stats().limit;
    expect(limit).toBeLessThan(8);
    // Play every timer (backoffs, slot holds, pacing) until the story ends.
    for (let turn = 0; turn < 200 && h.engine.stats().succeeded < 8; turn++) {
      const due = h.clock.nextDue;
      if (due !== undefined) await h.clock.advanceTo(due);
      await until(() => h.fake.requests.every((r) => r.answer !== undefined) || h.clock.pendingTimers > 0);
    }
    expect((await Promise.all(calls)).every((o) => o.ok)).toBe(true);
    expect(h.fake.requests.filter((r) => r.answer === 'ok')).toHaveLength(8);
  });

  describe.each(sdks)('a lone failing call, $name', (sdk) => {
    it('gets all its attempts on its model, at its backoff pace, then fails over for its retries, not a local limit', async () => {
      await setup({
        sdk,
        autoAdvance: true,
        options: { backoff: constant(50), concurrency: {}, fallbacks: { [PRO]: [FLASH] } },
      });
      h.fake.setDefault(PRO, fault.overloaded());
      const outcome = await generate(PRO);
      expect(outcome.ok ? outcome.value.modelVersion : outcome.error).toBe(FLASH);
      expect(h.fake.requests.map((r) => [r.model, r.time - START])).toEqual([
        [PRO, 0],
        [PRO, 50],
        [PRO, 100],
        [FLASH, 100],
      ]);
      expect(named(h.events, 'failover')).toMatchObject([
        { from: PRO, to: FLASH, reason: 'retriesExhausted' },
      ]);
      expect(named(h.events, 'wait')).toEqual([]);
    });

    it('answers on its third attempt without a fallback; a next call waits for the lowered limit, announcing how long', async () => {
      await setup({ sdk, autoAdvance: true, options: { backoff: constant(50), concurrency: {} } });
      h.fake.script(FLASH, [fault.overloaded(), fault.overloaded(), ok()]);
      const first = await generate(FLASH);
      expect(first.ok).toBe(true);
      expect(h.fake.requests.map((r) => r.time - START)).toEqual([0, 50, 100]);
      expect(named(h.events, 'wait')).toEqual([]);
      // Two refusals took the limit from 20 to 0.25: a new call leaves at the pace the limit allows (one per
      // service time / limit), and the wait event says when, so a virtual clock can be moved to it.
      const second = await generate(FLASH);
      expect(second.ok).toBe(true);
      const waits = named(h.events, 'wait');
      expect(waits).toHaveLength(1);
      expect(waits[0]).toMatchObject({ model: FLASH, reason: 'concurrency' });
      expect(waits[0].delay).toBeGreaterThan(0);
      expect(h.fake.requests[3]!.time - h.fake.requests[2]!.time).toBe(waits[0].delay);
    });
  });
});
