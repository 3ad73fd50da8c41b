/**
 * A pool of clients per model (the `targets` option): calls spread over the least loaded project; two keys of one
 * project share one set of limits; a target refused for its quota, limits, breaker or credentials is skipped; the
 * call fails only when every target and every fallback model is unusable.
 */
import { InvalidOptionError } from '@bulwark/core';
import { MemoryRateLimitStore } from '@bulwark/core/store';
import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { resilienceInfo, resilienceOf, withResilience } from '../../src/index.js';
import { fault } from '../../src/testing/index.js';
import { settle } from '../support/helpers.js';
import { named, START } from '../support/harness.js';
import { poolPerTest } from '../support/pool.js';
import { unreachableClient } from '../support/sdks.js';

const FLASH = 'gemini-2.5-flash';
const LITE = 'gemini-2.5-flash-lite';
const RESET = START + 20 * 3_600_000;

describe('a pool of clients', () => {
  const { setup } = poolPerTest();

  it('spreads calls over the projects by the share of their RPM used, least loaded first', async () => {
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
      options: { limits: { [FLASH]: { rpm: 4 } } },
      fake: { quotas: { [FLASH]: { rpm: 4 } } },
    });
    for (let i = 0; i < 8; i++) {
      const outcome = await settle(pool.ai.models.generateContent({ model: FLASH, contents: `q${i}` }));
      expect(outcome.ok).toBe(true);
    }
    // 8 calls in one minute against two projects of 4 RPM each: every one answered, never a 429.
    expect(pool.fake.requests.map((r) => r.project)).toEqual([
      'project-a',
      'project-b',
      'project-a',
      'project-b',
      'project-a',
      'project-b',
      'project-a',
      'project-b',
    ]);
    expect(pool.fake.requests.every((r) => r.answer === 'ok')).toBe(true);
    expect(pool.engine.targets().map((t) => [t.name, t.stats.requests, t.stats.succeeded])).toEqual([
      ['project-a', 4, 4],
      ['project-b', 4, 4],
    ]);
  });

  it('two keys of one project share one set of limits: they never add up to more than the project may send', async () => {
    const pool = await setup({
      keys: [
        ['key-a1', 'project-a'],
        ['key-a2', 'project-a'],
      ],
      options: { limits: { [FLASH]: { rpm: 2 } }, maxQueueWait: 1_000 },
      fake: { quotas: { [FLASH]: { rpm: 2 } } },
    });
    const outcomes = [];
    for (let i = 0; i < 3; i++)
      outcomes.push(await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' })));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false]);
    expect(outcomes[2]!.ok ? undefined : outcomes[2]!.error).toMatchObject({ name: 'RateLimitedError' });
    expect(pool.fake.requests.map((r) => r.answer)).toEqual(['ok', 'ok']);
    expect(pool.engine.targets().map((t) => t.name)).toEqual(['project-a', 'project-a#2']);
    // One guard for the project: the second key's calls saw the first key's.
    expect(pool.engine.model(FLASH, 'project-a')).toBe(pool.engine.model(FLASH));
  });

  it("a project's 429 moves the call to the next project for the same model; its pause sends nothing more there", async () => {
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
      options: { maxRetryDelay: 10_000 },
    });
    pool.fake.script({ model: FLASH }, [fault.rateLimited({ retryDelayMs: 30_000 })]);
    const first = await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect(first.ok).toBe(true);
    expect(named(pool.events, 'retarget')).toMatchObject([
      { model: FLASH, from: 'project-a', to: 'project-b', reason: 'rateLimited' },
    ]);
    // project-a is paused for 30 s: the next calls go to project-b without asking project-a.
    await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'y' }));
    expect(pool.fake.requests.map((r) => `${r.project}: ${r.answer}`)).toEqual([
      'project-a: rateLimited',
      'project-b: ok',
      'project-b: ok',
    ]);
    expect(pool.engine.model(FLASH, 'project-a').pausedFor()).toBe(30_000);
  });

  it("a project's spent daily quota is skipped until midnight Pacific; the other project answers", async () => {
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
      fake: { quotas: { [FLASH]: { rpd: 1 } } },
    });
    const ask = () => settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect((await ask()).ok).toBe(true);
    expect((await ask()).ok).toBe(true);
    // Both projects' day is spent: the third call finds it out (one 429 each), the fourth sends nothing.
    const third = await ask();
    expect(third.ok ? undefined : third.error).toMatchObject({ kind: 'dailyQuotaExhausted' });
    const fourth = await ask();
    expect(fourth.ok ? undefined : fourth.error).toMatchObject({ kind: 'dailyQuotaExhausted' });
    expect(pool.fake.requests.map((r) => `${r.project}: ${r.answer}`)).toEqual([
      'project-a: ok',
      'project-b: ok',
      'project-a: dailyQuota',
      'project-b: dailyQuota',
    ]);
    expect(pool.engine.model(FLASH, 'project-a').exhaustedUntil()).toBe(RESET);
    expect(pool.engine.model(FLASH, 'project-b').exhaustedUntil()).toBe(RESET);
    expect(named(pool.events, 'retarget').map((e) => e.reason)).toEqual(['dailyQuota', 'exhaustedEarlier']);
  });

  it('fails over to the next model only when every target of the model is unusable', async () => {
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
      options: { fallbacks: { [FLASH]: [LITE] } },
    });
    pool.fake.setDefault({ model: FLASH }, fault.dailyQuota());
    const outcome = await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect(resilienceInfo(outcome.ok ? outcome.value : undefined)?.model).toBe(LITE);
    expect(pool.fake.requests.map((r) => `${r.model} ${r.project}: ${r.answer}`)).toEqual([
      `${FLASH} project-a: dailyQuota`,
      `${FLASH} project-b: dailyQuota`,
      `${LITE} project-a: ok`,
    ]);
    expect(named(pool.events, 'failover')).toMatchObject([{ from: FLASH, to: LITE, reason: 'dailyQuota' }]);
  });

  it("an overloaded model is the model's trouble, not the project's: the call moves on to the next model", async () => {
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
      options: { fallbacks: { [FLASH]: [LITE] }, maxAttempts: 2 },
    });
    pool.fake.setDefault({ model: FLASH }, fault.overloaded());
    const outcome = await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect(resilienceInfo(outcome.ok ? outcome.value : undefined)?.model).toBe(LITE);
    expect(pool.fake.requests.map((r) => `${r.model} ${r.project}`)).toEqual([
      `${FLASH} project-a`,
      `${FLASH} project-a`,
      `${LITE} project-a`,
    ]);
    expect(named(pool.events, 'retarget')).toEqual([]);
  });
});

describe('a pool, credentials', () => {
  const { setup } = poolPerTest();

  it('a revoked key marks its target unusable with an event, is never retried, and the call moves on', async () => {
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
      fake: { revokedKeys: ['key-a'] },
    });
    const ask = () => settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect((await ask()).ok).toBe(true);
    expect((await ask()).ok).toBe(true);
    expect(pool.fake.requests.map((r) => `${r.headers['x-goog-api-key']}: ${r.answer}`)).toEqual([
      'key-a: keyRevoked',
      'key-b: ok',
      'key-b: ok',
    ]);
    const [unusable] = named(pool.events, 'targetUnusable');
    expect(unusable).toMatchObject({ model: FLASH, target: 'project-a', project: 'project-a' });
    expect(unusable.error).toMatchObject({ kind: 'clientError', status: 403, credentialsRefused: true });
    expect(named(pool.events, 'retarget')).toMatchObject([
      { from: 'project-a', to: 'project-b', reason: 'credentials' },
    ]);
    expect(pool.engine.targets()[0]!.unusable).toBe(unusable.error);
  });

  it('an invalid key (400 API_KEY_INVALID) is a credential failure too; when every key is refused, the call fails', async () => {
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
      fake: { revokedKeys: ['key-b'] },
      options: { fallbacks: { [FLASH]: [LITE] } },
    });
    // key-a is refused as invalid (a 400 whose ErrorInfo says API_KEY_INVALID), key-b as revoked (403).
    pool.fake.script({ model: FLASH }, [
      fault.status({
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: 'API key not valid. Please pass a valid API key.',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
      }),
    ]);
    const outcome = await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ status: 403, credentialsRefused: true });
    // No fallback model is tried: it would go through the same refused keys.
    expect(pool.fake.requests.map((r) => `${r.model} ${r.headers['x-goog-api-key']}: ${r.answer}`)).toEqual([
      `${FLASH} key-a: status400`,
      `${FLASH} key-b: keyRevoked`,
    ]);
    expect(pool.engine.targets().every((t) => t.unusable !== undefined)).toBe(true);
    const again = await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect(again.ok).toBe(false);
    expect(pool.fake.requests).toHaveLength(2);
    // Once the key is fixed, reinstate() brings the target back.
    pool.engine.target('project-a')!.reinstate();
    expect((await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }))).ok).toBe(true);
  });

  it("a 400 INVALID_ARGUMENT stays the caller's error: no target is marked, no other target tried", async () => {
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
    });
    pool.fake.script({ model: FLASH }, [fault.badRequest()]);
    const outcome = await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({
      kind: 'clientError',
      status: 400,
      credentialsRefused: false,
    });
    expect(pool.fake.requests).toHaveLength(1);
    expect(named(pool.events, 'targetUnusable')).toEqual([]);
    expect(pool.engine.targets().every((t) => t.unusable === undefined)).toBe(true);
  });
});

describe('a pool and a shared store', () => {
  const { setup } = poolPerTest();

  it('keeps each project under its own key in the store: gemini:<project>:<model>', async () => {
    const store = new MemoryRateLimitStore();
    const pool = await setup({
      keys: [
        ['key-a', 'project-a'],
        ['key-b', 'project-b'],
      ],
      options: { store, limits: { [FLASH]: { rpm: 10 } } },
    });
    await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    await settle(pool.ai.models.generateContent({ model: FLASH, contents: 'x' }));
    expect(pool.engine.model(FLASH, 'project-a').sharedKey).toBe(`gemini:project-a:${FLASH}`);
    expect(pool.engine.model(FLASH, 'project-b').sharedKey).toBe(`gemini:project-b:${FLASH}`);
    expect(pool.fake.requests.map((r) => r.project)).toEqual(['project-a', 'project-b']);
  });
});

describe('targets, options', () => {
  const other = () => new GoogleGenAI({ apiKey: 'y', httpOptions: { baseUrl: 'http://127.0.0.1:9' } });
  it.each([
    ['targets without project', { targets: [{ client: other(), project: 'b' }] }, 'project'],
    ['targets not an array', { project: 'a', targets: {} }, 'targets'],
    ['a null target', { project: 'a', targets: [null] }, 'targets[0]'],
    [
      'a client without models',
      { project: 'a', targets: [{ client: {}, project: 'b' }] },
      'targets[0].client',
    ],
    ['an empty project', { project: 'a', targets: [{ client: other(), project: '' }] }, 'targets[0].project'],
    [
      "a project with ':'",
      { project: 'a', targets: [{ client: other(), project: 'x:y' }] },
      'targets[0].project',
    ],
    [
      'a name taken',
      { project: 'a', targets: [{ client: other(), project: 'b', name: 'a' }] },
      'targets[0].name',
    ],
    [
      'a wrapped client',
      { project: 'a', targets: [{ client: withResilience(other()), project: 'b' }] },
      'targets[0].client',
    ],
  ])('rejects %s with an InvalidOptionError naming the option', (_label, options, option) => {
    const make = () => withResilience(unreachableClient(), options as never);
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(option);
  });

  it('names the targets: the project, then <project>#n for more keys of it', () => {
    const ai = withResilience(unreachableClient(), {
      project: 'a',
      targets: [
        { client: other(), project: 'a' },
        { client: other(), project: 'b' },
        { client: other(), project: 'b', name: 'spare' },
      ],
    });
    expect(
      resilienceOf(ai)
        .targets()
        .map((t) => t.name),
    ).toEqual(['a', 'a#2', 'b', 'spare']);
  });
});
