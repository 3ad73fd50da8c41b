/**
 * withResilience on streams, through the real SDK (3.x and 2.x): the start of a stream is retried, what follows
 * the first chunk never is; a first-chunk timeout and an idle timeout replace a whole-stream deadline; a stream
 * that is cut, broken by an error event, or ends without finishReason is an error, never a silent success.
 */
import { getEventListeners } from 'node:events';
import { consecutive, isTimeoutError } from '@bulwark/core';
import { describe, expect, it } from 'vitest';
import { isGeminiFailure, resilienceInfo } from '../../src/index.js';
import { fault, ok } from '../../src/testing/index.js';
import { collect, textOf, until } from '../support/helpers.js';
import { harnessPerTest, named } from '../support/harness.js';
import { sdks } from '../support/sdks.js';

const FLASH = 'gemini-2.5-flash';
const LITE = 'gemini-2.5-flash-lite';

describe.each(sdks)('withResilience, streams, $name', (sdk) => {
  const { h, setup } = harnessPerTest({ sdk });
  const stream = (model = FLASH, config?: Record<string, unknown>) =>
    h.ai.models.generateContentStream({ model, contents: 'one two three', ...(config ? { config } : {}) });

  it('streams a healthy answer chunk by chunk with one request', async () => {
    await setup();
    const started = stream();
    const { chunks, error } = await collect(started);
    expect(error).toBeUndefined();
    expect(chunks).toHaveLength(3);
    expect(textOf(chunks)).toBe('one two three');
    expect(resilienceInfo(await started)).toEqual({
      requested: FLASH,
      model: FLASH,
      attempts: 1,
      failovers: 0,
    });
    expect(h.fake.requests).toHaveLength(1);
  });

  it.each([
    ['503 before the stream starts', fault.overloaded()],
    ['429 before the stream starts', fault.rateLimited({ retryDelayMs: 2_000 })],
    ['an error event before the first chunk', fault.streamError({ afterChunks: 0 })],
    ['a reset before any response', fault.reset()],
  ])('retries %s', async (_name, behaviour) => {
    await setup();
    h.fake.script(FLASH, [behaviour, ok()]);
    const { chunks, error } = await collect(stream());
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe('one two three');
    expect(h.fake.requests).toHaveLength(2);
  });

  it('retries a stream whose first chunk does not come within firstChunkTimeout', async () => {
    await setup({ options: { firstChunkTimeout: 10_000 } });
    h.fake.script(FLASH, [fault.stall({ afterChunks: 0 }), ok()]);
    const result = collect(stream());
    await until(() => h.fake.requests.length === 1);
    await h.clock.advance(10_100);
    const { chunks, error } = await result;
    expect(error).toBeUndefined();
    expect(chunks).toHaveLength(3);
    expect(h.fake.requests).toHaveLength(2);
    await until(() => h.fake.requests[0]!.aborted);
  });

  it('never retries once a chunk reached the caller: an error event mid-stream is a typed error', async () => {
    await setup();
    h.fake.script(FLASH, [fault.streamError({ afterChunks: 1 })]);
    const { chunks, error } = await collect(stream());
    expect(chunks).toHaveLength(1);
    expect(isGeminiFailure(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'overloaded', rpcStatus: 'UNAVAILABLE' });
    expect(h.fake.requests).toHaveLength(1);
  });

  it.each([
    ['a cut connection', fault.reset({ afterChunks: 1 })],
    ['a truncated event', fault.truncated({ afterChunks: 1 })],
    ['a close without finishReason', fault.noFinishReason({ chunks: 2 })],
  ])('reports %s as a network failure, never as success', async (_name, behaviour) => {
    await setup();
    h.fake.script(FLASH, [behaviour]);
    const { chunks, error } = await collect(stream());
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    expect(isGeminiFailure(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'network' });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('counts a stream when it ends: a full read succeeds, a cut after the first chunk fails', async () => {
    await setup();
    h.fake.script(FLASH, [ok(), fault.reset({ afterChunks: 1 })]);
    const started = await stream();
    expect(h.engine.stats()).toMatchObject({ calls: 1, succeeded: 0, failed: 0 });
    await collect(Promise.resolve(started));
    expect(h.engine.stats()).toMatchObject({ calls: 1, succeeded: 1, failed: 0 });
    const { error } = await collect(stream());
    expect(isGeminiFailure(error)).toBe(true);
    expect(h.engine.stats()).toMatchObject({ calls: 2, succeeded: 1, failed: 1 });
    expect(named(h.events, 'failure')).toHaveLength(1);
    expect(named(h.events, 'failure')[0]).toMatchObject({ requested: FLASH, error, attempts: 1 });
  });

  it("streams cut after their first chunk open the model's breaker, and later calls fail over", async () => {
    await setup({ options: { fallbacks: { [FLASH]: [LITE] } } });
    h.fake.setDefault(FLASH, fault.streamError({ afterChunks: 1 }));
    for (let i = 0; i < 5; i++) await collect(stream());
    expect(h.engine.model(FLASH).breaker?.state).toBe('open');
    // The failure that opened it comes along, as in core's stateChange.
    expect(named(h.events, 'breakerState')).toEqual([
      {
        model: FLASH,
        from: 'closed',
        to: 'open',
        error: expect.objectContaining({ kind: 'overloaded', status: 503 }),
      },
    ]);
    const { chunks, error } = await collect(stream());
    expect(error).toBeUndefined();
    expect(chunks[0].modelVersion).toBe(LITE);
    expect(h.fake.requests.filter((r) => r.model === FLASH)).toHaveLength(5);
  });

  it('a caller abort mid-stream is a failed call but says nothing to the breaker', async () => {
    await setup({ options: { fallbacks: { [FLASH]: [LITE] }, breaker: { strategy: consecutive(1) } } });
    h.fake.script(FLASH, [fault.stall({ afterChunks: 1 })]);
    const controller = new AbortController();
    const iterator = (await stream(FLASH, { abortSignal: controller.signal }))[Symbol.asyncIterator]();
    await iterator.next();
    const next = iterator.next().catch((error: unknown) => error);
    controller.abort('bye');
    expect(await next).toBe('bye');
    expect(h.engine.stats()).toMatchObject({ succeeded: 0, failed: 1 });
    expect(h.engine.model(FLASH).breaker?.state).toBe('closed');
  });

  it('fails a stream that goes silent between chunks after idleTimeout, and stops reading it', async () => {
    await setup({ options: { idleTimeout: 5_000 } });
    h.fake.script(FLASH, [fault.stall({ afterChunks: 1 })]);
    const chunks: unknown[] = [];
    const iterator = (await stream())[Symbol.asyncIterator]();
    chunks.push((await iterator.next()).value);
    const next = iterator.next().then(
      () => undefined,
      (error: unknown) => error,
    );
    await h.clock.advance(5_100);
    const error = await next;
    expect(error).toMatchObject({ kind: 'timeout' });
    await until(() => h.fake.requests[0]!.aborted);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('a long stream with steady chunks is not cut by any deadline', async () => {
    await setup({ options: { idleTimeout: 5_000, firstChunkTimeout: 5_000, totalTimeout: 10_000 } });
    h.fake.script(FLASH, [ok({ text: 'a b c d e f g h', chunks: 6, chunkDelayMs: 4_000 })]);
    // 24 s in all, longer than every deadline, but never 5 s without a chunk.
    const iterator = (await stream())[Symbol.asyncIterator]();
    const chunks: unknown[] = [];
    for (;;) {
      const next = iterator.next();
      await until(() => h.clock.pendingTimers > 0);
      await h.clock.advance(4_000);
      const step = await next;
      if (step.done) break;
      chunks.push(step.value);
    }
    expect(chunks).toHaveLength(6);
  });

  it('a caller abort mid-stream ends it with the caller reason and closes the request', async () => {
    await setup();
    h.fake.script(FLASH, [fault.stall({ afterChunks: 1 })]);
    const controller = new AbortController();
    const iterator = (await stream(FLASH, { abortSignal: controller.signal }))[Symbol.asyncIterator]();
    await iterator.next();
    const next = iterator.next().then(
      () => undefined,
      (error: unknown) => error,
    );
    controller.abort('bye');
    expect(await next).toBe('bye');
    await until(() => h.fake.requests[0]!.aborted);
  });

  it('breaking out of the loop early closes the request', async () => {
    await setup();
    h.fake.script(FLASH, [ok({ chunks: 3, chunkDelayMs: 1_000 })]);
    for await (const _chunk of await stream()) break;
    await until(() => h.fake.requests[0]!.aborted);
  });

  describe('a stream nobody reads', () => {
    const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

    it('return() before the first read closes the request and leaves no listener on the caller signal', async () => {
      await setup({ autoAdvance: false });
      h.fake.script(FLASH, [fault.stall({ afterChunks: 1 })]);
      const controller = new AbortController();
      const started = await stream(FLASH, { abortSignal: controller.signal });
      expect(listeners(controller.signal)).toBe(1);
      const iterator = started[Symbol.asyncIterator]();
      expect(await iterator.return?.(undefined)).toEqual({ done: true, value: undefined });
      await until(() => h.fake.requests[0]!.aborted);
      expect(listeners(controller.signal)).toBe(0);
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      // Like a break out of the loop: the call ended well.
      expect(h.engine.stats()).toMatchObject({ succeeded: 1, failed: 0 });
    });

    it('never read, it is closed after idleTimeout; a late read gets a timeout failure', async () => {
      await setup({ autoAdvance: false, options: { idleTimeout: 5_000 } });
      h.fake.script(FLASH, [fault.stall({ afterChunks: 1 })]);
      const controller = new AbortController();
      const started = await stream(FLASH, { abortSignal: controller.signal });
      await h.clock.advance(4_999);
      expect(h.fake.requests[0]!.aborted).toBe(false);
      await h.clock.advance(1);
      await until(() => h.fake.requests[0]!.aborted);
      expect(listeners(controller.signal)).toBe(0);
      const iterator = started[Symbol.asyncIterator]();
      const late = await iterator.next().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isGeminiFailure(late)).toBe(true);
      expect(late).toMatchObject({ kind: 'timeout' });
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      // Nobody read it: the call is counted neither way.
      expect(h.engine.stats()).toMatchObject({ calls: 1, succeeded: 0, failed: 0 });
    });

    it('a stream read in time is not closed by that rule', async () => {
      await setup({ autoAdvance: false, options: { idleTimeout: 5_000 } });
      h.fake.script(FLASH, [ok()]);
      const started = await stream();
      await h.clock.advance(4_000);
      const { chunks, error } = await collect(Promise.resolve(started));
      expect(error).toBeUndefined();
      expect(textOf(chunks)).toBe('one two three');
    });
  });

  it('fails over a stream whose model is overloaded, and says which model streamed', async () => {
    await setup({ options: { maxAttempts: 1, fallbacks: { [FLASH]: [LITE] } } });
    h.fake.setDefault(FLASH, fault.overloaded());
    const started = stream();
    const { chunks, error } = await collect(started);
    expect(error).toBeUndefined();
    expect(chunks[0].modelVersion).toBe(LITE);
    expect(resilienceInfo(await started)).toMatchObject({ model: LITE, failovers: 1 });
    expect(named(h.events, 'failover')).toHaveLength(1);
  });

  describe('empty and blocked streams (responseCheck)', () => {
    it('retries a stream that ends before any chunk carried content, by default', async () => {
      await setup();
      h.fake.script(FLASH, [fault.empty({ chunksBefore: 2 }), ok()]);
      const { chunks, error } = await collect(stream());
      expect(error).toBeUndefined();
      expect(textOf(chunks)).toBe('one two three');
      expect(chunks).toHaveLength(3);
      expect(h.fake.requests.map((r) => r.answer)).toEqual(['empty', 'ok']);
      expect(named(h.events, 'retry')[0]).toMatchObject({ kind: 'empty' });
    });

    it('passes on the chunks without content that come before the first content, in order', async () => {
      await setup();
      h.fake.script(FLASH, [ok({ leadingEmptyChunks: 2 })]);
      const { chunks, error } = await collect(stream());
      expect(error).toBeUndefined();
      expect(chunks).toHaveLength(5);
      expect(chunks.slice(0, 2).every((c) => c.candidates[0].content.parts === undefined)).toBe(true);
      expect(textOf(chunks)).toBe('one two three');
      expect(h.fake.requests).toHaveLength(1);
    });

    it("returns an empty stream as the SDK does with empty: 'return'", async () => {
      await setup({ options: { responseCheck: { empty: 'return' } } });
      h.fake.script(FLASH, [fault.empty()]);
      const { chunks, error } = await collect(stream());
      expect(error).toBeUndefined();
      expect(chunks).toHaveLength(1);
      expect(chunks[0].candidates[0].finishReason).toBe('STOP');
    });

    it("fails a blocked prompt over before any chunk reaches the caller, with blocked: 'failover'", async () => {
      await setup({ options: { responseCheck: { blocked: 'failover' }, fallbacks: { [FLASH]: [LITE] } } });
      h.fake.script(FLASH, [fault.blocked({ where: 'prompt' })]);
      const { chunks, error } = await collect(stream());
      expect(error).toBeUndefined();
      expect(chunks[0].modelVersion).toBe(LITE);
      expect(named(h.events, 'failover')[0]).toMatchObject({ reason: 'blocked' });
    });

    it("ends a stream blocked after its first chunks in a blocked failure, with blocked: 'fail'", async () => {
      await setup({ options: { responseCheck: { blocked: 'fail' } } });
      h.fake.script(FLASH, [fault.blocked({ where: 'candidate', reason: 'SAFETY', afterChunks: 2 })]);
      const { chunks, error } = await collect(stream());
      expect(chunks).toHaveLength(3);
      expect(error).toMatchObject({ kind: 'blocked', finishReason: 'SAFETY' });
      expect(h.engine.stats()).toMatchObject({ failed: 1, succeeded: 0 });
    });
  });

  it('a stream start hung past the total timeout rejects with a TimeoutError', async () => {
    await setup({ options: { firstChunkTimeout: 60_000, totalTimeout: 8_000 } });
    h.fake.setDefault(fault.hang());
    const started = stream().then(
      () => undefined,
      (error: unknown) => error,
    );
    await until(() => h.fake.requests.length === 1);
    await h.clock.advance(8_100);
    expect(isTimeoutError(await started)).toBe(true);
    await until(() => h.fake.requests[0]!.aborted);
  });
});
