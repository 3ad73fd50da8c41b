/**
 * `withResilience(ai, { store, project })`: two clients (two processes, each with its own SDK) on one store share
 * per-model limits, the pause a 429 imposes, a spent daily quota and a model without quota, through the store
 * alone; clients of other projects share nothing. Each story runs on the in-memory store and on the same store
 * behind promises (a remote store's answers).
 */
import { InvalidOptionError } from '@bulwark/core';
import { MemoryRateLimitStore, type RateLimitStore } from '@bulwark/core/store';
import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { resilienceInfo, withResilience } from '../../src/index.js';
import { fault } from '../../src/testing/index.js';
import { collect, settle, textOf, until } from '../support/helpers.js';
import { named, START } from '../support/harness.js';
import {
  asyncStore,
  noCalls,
  type Pair,
  type PairOptions,
  storeKinds,
  twoClients,
} from '../support/shared-clients.js';

const FLASH = 'gemini-2.5-flash';
const LITE = 'gemini-2.5-flash-lite';
/** The next midnight Pacific after START (noon UTC, 4 am in Los Angeles). */
const RESET = START + 20 * 3_600_000;

describe.each(storeKinds)('two clients sharing %s', (_kind, makeStore) => {
  let pair: Pair;
  async function setup(options: Omit<PairOptions, 'store'> & { store?: RateLimitStore } = {}): Promise<Pair> {
    pair = await twoClients({ store: options.store ?? makeStore(), ...options });
    return pair;
  }
  afterEach(async () => {
    await pair?.close();
  });
  const generate = (side: 'a' | 'b', model = FLASH) =>
    settle(pair[side].ai.models.generateContent({ model, contents: 'hello' }));

  it("the first 429 in one pauses the other for the server's delay: it sends nothing meanwhile", async () => {
    await setup();
    pair.fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 20_000 })]);
    const first = generate('a');
    await until(() => named(pair.a.events, 'paused').length === 1);
    expect(named(pair.a.events, 'paused')).toEqual([{ model: FLASH, duration: 20_000 }]);
    // B never saw a 429: it learns the pause from the store, and waits for it in its limiter's queue.
    const second = generate('b');
    await until(() => named(pair.b.events, 'wait').length === 1);
    expect(named(pair.b.events, 'wait')).toEqual([{ model: FLASH, delay: 20_000, reason: 'limit' }]);
    await pair.clock.advance(19_999);
    expect(pair.fake.requests).toHaveLength(1);
    await pair.clock.advance(1);
    const [a, b] = await Promise.all([first, second]);
    expect(a.ok && b.ok).toBe(true);
    expect(pair.fake.requests.map((r) => [r.time - START, r.answer])).toEqual([
      [0, 'rateLimited'],
      [20_000, 'ok'],
      [20_000, 'ok'],
    ]);
    expect(pair.b.engine.stats()).toMatchObject({ requests: 1, retries: 0 });
    expect(named(pair.b.events, 'paused')).toEqual([]);
  });

  it('a pause longer than maxQueueWait makes the other fail over at once, and it remembers the pause', async () => {
    await setup({ options: { maxRetryDelay: 5_000, maxQueueWait: 5_000, fallbacks: { [FLASH]: [LITE] } } });
    pair.fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 40_000 })]);
    const a = await generate('a');
    expect(resilienceInfo(a.ok ? a.value : undefined)?.model).toBe(LITE);
    const b = await generate('b');
    expect(resilienceInfo(b.ok ? b.value : undefined)?.model).toBe(LITE);
    expect(pair.fake.requests.map((r) => r.model)).toEqual([FLASH, LITE, LITE]);
    expect(named(pair.b.events, 'failover')[0]).toMatchObject({ reason: 'retriesExhausted' });
    expect(named(pair.b.events, 'failover')[0].error).toMatchObject({ kind: 'rateLimited', model: FLASH });
    // Kept locally: B's next call knows without asking the store.
    expect(pair.b.engine.model(FLASH).pausedFor()).toBeGreaterThan(39_000);
  });

  it('the RPM limit is shared: together they never exceed it in any minute, and never get a 429', async () => {
    await setup({
      options: { limits: { [FLASH]: { rpm: 3 } }, maxQueueWait: 180_000 },
      fake: { quotas: { [FLASH]: { rpm: 3 } } },
    });
    const calls = Array.from({ length: 8 }, (_, i) => generate(i % 2 === 0 ? 'a' : 'b'));
    const succeeded = () => pair.a.engine.stats().succeeded + pair.b.engine.stats().succeeded;
    for (const sent of [3, 6]) {
      await until(() => pair.fake.requests.length === sent && succeeded() === sent);
      await pair.clock.advance(61_000);
    }
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(pair.fake.requests.map((r) => r.answer)).toEqual(Array(8).fill('ok'));
    const times = pair.fake.requests.map((r) => r.time);
    for (const t of times)
      expect(times.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(3);
    // Both took part.
    expect(pair.a.engine.stats().requests).toBe(4);
    expect(pair.b.engine.stats().requests).toBe(4);
  });

  it('the RPD limit is shared: the day spent by both together fails over in either, until midnight Pacific', async () => {
    await setup({ options: { limits: { [FLASH]: { rpd: 3 } }, fallbacks: { [FLASH]: [LITE] } } });
    for (const side of ['a', 'b', 'a', 'b', 'a'] as const) await generate(side);
    expect(pair.fake.requests.map((r) => r.model)).toEqual([FLASH, FLASH, FLASH, LITE, LITE]);
    expect(named(pair.b.events, 'failover')[0]).toMatchObject({ reason: 'dailyQuota' });
    expect(named(pair.b.events, 'quotaExhausted')).toEqual([
      { model: FLASH, until: RESET, quotaId: undefined },
    ]);
    await pair.clock.advanceTo(RESET);
    await generate('b');
    expect(pair.fake.requests.at(-1)?.model).toBe(FLASH);
  });

  it('a daily quota spent in one stops the other until midnight Pacific, without a request of its own', async () => {
    const calls = noCalls();
    await setup({ store: makeStore(calls), options: { fallbacks: { [FLASH]: [LITE] } } });
    pair.fake.script(FLASH, [fault.dailyQuota()]);
    expect((await generate('a')).ok).toBe(true);
    expect(named(pair.a.events, 'quotaExhausted')).toHaveLength(1);
    const b = await generate('b');
    expect(resilienceInfo(b.ok ? b.value : undefined)).toMatchObject({
      model: LITE,
      attempts: 1,
      failovers: 1,
    });
    expect(named(pair.b.events, 'failover')[0]).toMatchObject({ reason: 'dailyQuota' });
    expect(named(pair.b.events, 'quotaExhausted')).toEqual([
      { model: FLASH, until: RESET, quotaId: undefined },
    ]);
    // Learnt once: B's next call skips the model without asking the store.
    const acquires = calls.acquire;
    await generate('b');
    expect(named(pair.b.events, 'failover')[1]).toMatchObject({ reason: 'exhaustedEarlier' });
    expect(calls.acquire).toBe(acquires + 1); // LITE's admission only
    expect(pair.fake.requests.map((r) => r.model)).toEqual([FLASH, LITE, LITE, LITE]);
    // After midnight Pacific, the model is asked again.
    await pair.clock.advanceTo(RESET);
    const back = await generate('b');
    expect(resilienceInfo(back.ok ? back.value : undefined)?.model).toBe(FLASH);
  });

  it('without a fallback, the other fails fast with dailyQuotaExhausted and sends nothing', async () => {
    await setup();
    pair.fake.script(FLASH, [fault.dailyQuota()]);
    await generate('a');
    const b = await generate('b');
    expect(b.ok ? undefined : b.error).toMatchObject({
      name: 'GeminiFailure',
      kind: 'dailyQuotaExhausted',
      model: FLASH,
      retryAfterMs: RESET - START,
    });
    expect(pair.fake.requests).toHaveLength(1);
  });

  it('a model without quota ("limit: 0") learnt by one is skipped by the other without asking the server', async () => {
    await setup({ options: { fallbacks: { [FLASH]: [LITE] } } });
    pair.fake.setDefault(FLASH, fault.noQuota());
    expect((await generate('a')).ok).toBe(true);
    const b = await generate('b');
    expect(resilienceInfo(b.ok ? b.value : undefined)).toMatchObject({ model: LITE, attempts: 1 });
    expect(pair.fake.requests.map((r) => [r.model, r.answer])).toEqual([
      [FLASH, 'noQuota'],
      [LITE, 'ok'],
      [LITE, 'ok'],
    ]);
  });

  it('clients of different projects share nothing', async () => {
    await setup({ optionsB: { project: 'other' } });
    pair.fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 20_000 }), fault.dailyQuota()]);
    const first = generate('a');
    await until(() => named(pair.a.events, 'paused').length === 1);
    // Paused for A's project only: B sends at once (and gets the daily 429 itself).
    const b = await generate('b');
    expect(b.ok ? undefined : b.error).toMatchObject({ kind: 'dailyQuotaExhausted' });
    expect(pair.fake.requests.map((r) => r.time - START)).toEqual([0, 0]);
    // ...which does not stop A.
    await pair.clock.advance(20_000);
    expect((await first).ok).toBe(true);
    expect(pair.fake.requests.map((r) => r.answer)).toEqual(['rateLimited', 'dailyQuota', 'ok']);
  });

  it('a stream waits for a shared pause like a unary call, and reads to its end', async () => {
    await setup();
    pair.fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 10_000 })]);
    const first = generate('a');
    await until(() => named(pair.a.events, 'paused').length === 1);
    const stream = collect(pair.b.ai.models.generateContentStream({ model: FLASH, contents: 'stream me' }));
    await until(() => named(pair.b.events, 'wait').length === 1);
    expect(pair.fake.requests).toHaveLength(1);
    await pair.clock.advance(10_000);
    const { chunks, error } = await stream;
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe('stream me');
    expect((await first).ok).toBe(true);
  });
});

describe('a shared store that misbehaves', () => {
  let pair: Pair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('a store that never answers: the caller aborts promptly with its reason, and nothing is sent', async () => {
    const memory = new MemoryRateLimitStore();
    const hung: RateLimitStore = {
      acquire: () => new Promise(() => {}),
      adjust: (r) => memory.adjust(r),
      pause: (r) => memory.pause(r),
      read: (r) => memory.read(r),
    };
    pair = await twoClients({ store: hung });
    const controller = new AbortController();
    const call = settle(
      pair.a.ai.models.generateContent({
        model: FLASH,
        contents: 'hello',
        config: { abortSignal: controller.signal },
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('caller left');
    controller.abort(reason);
    const outcome = await call;
    expect(outcome.ok ? undefined : outcome.error).toBe(reason);
    expect(pair.fake.requests).toHaveLength(0);
  });

  it('a store that rejects: the call fails with its error, nothing is sent; a failed pause still holds locally', async () => {
    const down = new Error('store down');
    const failing: RateLimitStore = {
      acquire: () => Promise.reject(down),
      adjust: () => Promise.reject(down),
      pause: () => Promise.reject(down),
      read: () => Promise.reject(down),
    };
    pair = await twoClients({ store: failing });
    const outcome = await settle(pair.a.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect(outcome.ok ? undefined : outcome.error).toBe(down);
    expect(pair.fake.requests).toHaveLength(0);
    // countTokens does not go through the limits: the 429 it gets pauses the model here, though the store failed.
    pair.fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 30_000 })]);
    const counted = settle(pair.a.ai.models.countTokens({ model: FLASH, contents: 'x' }));
    await until(() => named(pair!.a.events, 'paused').length === 1);
    expect(pair.a.engine.model(FLASH).pausedFor()).toBe(30_000);
    await pair.clock.advance(30_000);
    expect((await counted).ok).toBe(true);
  });
});

describe('withResilience, the store options', () => {
  const client = () => new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: 'http://127.0.0.1:9' } });
  const store = new MemoryRateLimitStore();

  it.each([
    [{ store }, 'project', /required with store/],
    [{ store, project: '' }, 'project', /non-empty/],
    [{ store, project: 'a:b' }, 'project', /without ':'/],
    [{ store, project: 5 }, 'project', /got 5/],
    [{ project: null }, 'project', /got null/],
    [{ store: {}, project: 'p' }, 'store', /RateLimitStore/],
    [{ store: null, project: 'p' }, 'store', /RateLimitStore/],
  ])('rejects %j with an InvalidOptionError naming %s', (options, option, message) => {
    const make = () => withResilience(client(), options as never);
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(expect.objectContaining({ option, message: expect.stringMatching(message) }));
  });

  it('accepts any RateLimitStore, synchronous or not, and a project alone', () => {
    expect(() => withResilience(client(), { store, project: 'my-project' })).not.toThrow();
    expect(() => withResilience(client(), { store: asyncStore(store), project: 'p' })).not.toThrow();
    expect(() => withResilience(client(), { project: 'p' })).not.toThrow();
  });
});
