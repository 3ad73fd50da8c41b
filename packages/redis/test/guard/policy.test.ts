import { constant, rateLimit, tokenBucket, withCost } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { describe, expect, it } from 'vitest';
import { type GuardStoreOptions, guardStore, isStoreUnavailableError } from '../../src/index.js';
import { ControlledStore } from './controlled-store.js';

/** Core's rateLimit over a guarded controlled store, all on one virtual clock; each caller's outcome and time. */
function setup(options: GuardStoreOptions, maxWait = 5000) {
  const clock = new VirtualClock(0);
  const primary = new ControlledStore(clock);
  const store = guardStore(primary, { clock, callTimeoutMs: 250, probeBackoff: constant(1000), ...options });
  const policy = rateLimit({ limits: tokenBucket({ rate: 2, per: 1000 }), maxWait, clock, store });
  const outcomes: Array<{ id: number; at: number; ok: boolean; error?: unknown }> = [];
  const pending: Promise<void>[] = [];
  const call = (id: number) =>
    pending.push(
      policy
        .execute(() => clock.now())
        .then(
          () => void outcomes.push({ id, at: clock.now(), ok: true }),
          (error: unknown) => void outcomes.push({ id, at: clock.now(), ok: false, error }),
        ),
    );
  const settled = async (ms: number) => {
    await clock.advance(ms);
    expect(outcomes).toHaveLength(pending.length);
  };
  return { clock, primary, store, policy, call, outcomes, settled };
}

describe('core rateLimit over a guarded store', () => {
  it("'local': a hung store costs each caller callTimeoutMs, then the local limits admit and queue", async () => {
    const { primary, call, outcomes, settled, clock, store } = setup({ onStoreError: 'local' });
    primary.behaviour = 'hang';
    for (let id = 1; id <= 4; id++) call(id);
    await settled(2000);
    expect(outcomes.map(({ id, at, ok }) => ({ id, at, ok }))).toEqual([
      { id: 1, at: 250, ok: true },
      { id: 2, at: 250, ok: true },
      { id: 3, at: 750, ok: true },
      { id: 4, at: 1250, ok: true },
    ]);
    store.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it("'refuse': callers get StoreUnavailableError once the call times out, and waiting callers are not left hanging", async () => {
    const { primary, call, outcomes, settled, store } = setup({ onStoreError: 'refuse' });
    primary.behaviour = 'ok';
    // Two admitted, two waiting in the limiter's line (for 500 and 1000 ms).
    for (let id = 1; id <= 4; id++) call(id);
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    primary.behaviour = 'hang';
    call(5);
    await settled(1500);
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    expect(byId.get(1)).toMatchObject({ ok: true, at: 0 });
    expect(byId.get(2)).toMatchObject({ ok: true, at: 0 });
    // The head of the line asks the store at its turn (500) and is refused when that call times out; everybody
    // behind it at once (the store is down by then: the line's next reading is refused).
    for (const id of [3, 4, 5]) {
      expect(byId.get(id)).toMatchObject({ ok: false, at: 750 });
      expect(isStoreUnavailableError(byId.get(id)?.error)).toBe(true);
    }
    // A newcomer while down is refused at once.
    call(6);
    await settled(0);
    expect(outcomes.at(-1)).toMatchObject({ id: 6, ok: false, at: 1500 });
    store.close();
  });

  it("'admit': everything runs while the store is down, but a pause from a 429 still holds this process", async () => {
    const { primary, call, outcomes, settled, policy, clock } = setup({ onStoreError: 'admit' });
    primary.behaviour = 'reject';
    for (let id = 1; id <= 5; id++) call(id);
    await settled(10);
    expect(outcomes.every((o) => o.ok && o.at === 0)).toBe(true);
    await policy.pause(400);
    call(6);
    await settled(500);
    expect(outcomes.at(-1)).toMatchObject({ id: 6, ok: true, at: 410 });
    expect(clock.now()).toBe(510);
  });

  it('reconciles a withCost admission made during the outage on the local limits', async () => {
    const clock = new VirtualClock(0);
    const primary = new ControlledStore(clock);
    const store = guardStore(primary, { clock, probeBackoff: constant(100) });
    const policy = rateLimit({ limits: tokenBucket({ rate: 4, per: 1000 }), mode: 'reject', clock, store });
    primary.behaviour = 'reject';
    const task = withCost(() => 'done', 4);
    expect(await policy.execute(task)).toBe('done');
    // The store comes back; the refund still goes to the local store, which made the admission.
    primary.behaviour = 'ok';
    await clock.advance(100);
    expect(store.available).toBe(true);
    await task.reconcile(1);
    expect(primary.calls.adjust).toBe(0);
  });
});
