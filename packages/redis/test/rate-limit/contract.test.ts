import type { RateLimitStore } from '@bulwark/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asyncMemoryStore,
  limitArb,
  opArb,
  playTraffic,
  STORY_LIMITS,
  type StoryHarness,
  story,
} from '../../../core/test/support/rate-limit-store-contract.js';
import { ArgumentClockStore } from '../../src/rate-limit/test-clock.js';
import { clientKinds, connectClient, type TestClient } from '../support/clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { SettlingClock } from '../support/settling-clock.js';

/**
 * Core's store contract, told to the Redis store: the production script with one difference, the time it decides
 * at (the test's virtual clock plus a skew, sent as an argument, instead of the server's TIME), so its decisions
 * can be compared with the in-memory store's at the same times.
 */
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

let run = 0;
/** A fresh prefix per story, so stories never see each other's keys. */
const prefix = () => `contract${run++}`;

describe.each(clientKinds)('store contract on Redis through %s', (kind) => {
  let client: TestClient;
  beforeAll(async () => {
    client = await connectClient(kind, server.url);
  });
  afterAll(() => client?.close());

  /** A SettlingClock per story, and the Redis store on it (its time: the clock plus `skew`). */
  const harness = (): StoryHarness & { store(skew: number): (clock: SettlingClock) => RateLimitStore } => {
    let current: SettlingClock | undefined;
    return {
      clock: () => (current = new SettlingClock()),
      settle: () => current!.settle(),
      store: (skew) => (clock) =>
        clock.track(
          new ArgumentClockStore({ client: client.scripts, prefix: prefix() }, () => clock.now() + skew),
        ),
    };
  };

  it('makes the limiter decide exactly as on the in-memory store, whatever the skew between the clocks', async () => {
    const reference = await story(STORY_LIMITS, () => asyncMemoryStore());
    expect(reference.outcomes.some((o) => 'refusedAt' in o)).toBe(true);
    for (const skew of [1_796_000_000_000, -90_000, 0.25]) {
      const h = harness();
      const told = await story(STORY_LIMITS, h.store(skew) as never, h);
      expect(told, `skew ${skew}`).toEqual(reference);
    }
  });

  it('on random traffic, decides as the in-memory store (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(limitArb, { minLength: 1, maxLength: 2 }),
        fc.array(opArb, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: -100, max: 100 }).map((k) => k * 10_000),
        async (limits, ops, skew) => {
          const expected = await playTraffic(limits, ops, asyncMemoryStore(), new SettlingClock());
          const clock = new SettlingClock();
          const store = clock.track(
            new ArgumentClockStore({ client: client.scripts, prefix: prefix() }, () => clock.now() + skew),
          );
          expect(await playTraffic(limits, ops, store, clock)).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
