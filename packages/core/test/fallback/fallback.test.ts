import { describe, expect, it } from 'vitest';
import { type Failure, fallback, InvalidOptionError, sleep } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { abortListeners } from '../support/helpers.js';

describe('fallback', () => {
  it('replaces a failure with the fallback value and tells why', async () => {
    const failures: Failure[] = [];
    const policy = fallback({
      fallback: (failure) => {
        failures.push(failure);
        return 'cached';
      },
    });
    const events: unknown[] = [];
    policy.on('fallback', (e) => events.push(e));
    const error = new Error('down');
    await expect(policy.execute(() => Promise.reject(error))).resolves.toBe('cached');
    await expect(policy.execute(() => 'fresh')).resolves.toBe('fresh');
    expect(failures).toEqual([{ kind: 'error', error }]);
    expect(events).toEqual([{ policy: 'fallback', error, duration: expect.any(Number) }]);
  });

  it('reports how long the execution ran until the failure it replaced, on its clock', async () => {
    const clock = new VirtualClock();
    const policy = fallback({ fallback: () => 'cached', clock });
    const durations: number[] = [];
    policy.on('fallback', (e) => durations.push(e.duration));
    const answer = policy.execute(() =>
      sleep(250, undefined, clock).then(() => Promise.reject(new Error('late'))),
    );
    await clock.runAll();
    await expect(answer).resolves.toBe('cached');
    expect(durations).toEqual([250]);
  });

  it('only handles what handle() accepts', async () => {
    const policy = fallback({ handle: (e) => e instanceof RangeError, fallback: () => 0 });
    await expect(policy.execute(() => Promise.reject(new RangeError('r')))).resolves.toBe(0);
    await expect(policy.execute(() => Promise.reject(new TypeError('t')))).rejects.toThrow(TypeError);
  });

  it('replaces results that handleResult() rejects', async () => {
    const policy = fallback({
      handleResult: (v) => v === null,
      fallback: (f) => (f.kind === 'result' ? 'default' : 'err'),
    });
    await expect(policy.execute(() => null)).resolves.toBe('default');
  });

  it('supports an async fallback that receives the context', async () => {
    const policy = fallback({ fallback: async (_f, ctx) => `attempt ${ctx.attempt}` });
    await expect(policy.execute(() => Promise.reject(new Error('x')))).resolves.toBe('attempt 0');
  });

  it('never falls back on a caller abort', async () => {
    const controller = new AbortController();
    let used = false;
    const policy = fallback({
      fallback: () => {
        used = true;
        return 'x';
      },
    });
    const result = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        ),
      { signal: controller.signal },
    );
    controller.abort('cancel');
    await expect(result).rejects.toBe('cancel');
    expect(used).toBe(false);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('treats a sync throw like a rejection, with or without listeners', async () => {
    for (const listen of [false, true]) {
      const policy = fallback({ fallback: (f) => (f.kind === 'error' ? f.error : 'none') });
      if (listen) policy.on('success', () => {});
      const error = new Error('sync');
      await expect(
        policy.execute(() => {
          throw error;
        }),
      ).resolves.toBe(error);
    }
  });

  it('rejects with the error of a throwing handle() and passes unhandled errors on as they are', async () => {
    const bug = new Error('handle bug');
    const throwing = fallback({
      handle: () => {
        throw bug;
      },
      fallback: () => 0,
    });
    await expect(throwing.execute(() => Promise.reject(new Error('x')))).rejects.toBe(bug);
    const unhandled = new TypeError('t');
    const policy = fallback({ handle: () => false, fallback: () => 0 });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e.error));
    await expect(policy.execute(() => Promise.reject(unhandled))).rejects.toBe(unhandled);
    expect(failures).toEqual([unhandled]);
  });

  it('reports a failure to a listener attached while the call was running (duration unknown: 0)', async () => {
    const policy = fallback({ handle: () => false, fallback: () => 0 });
    let fail: (error: unknown) => void = () => {};
    const result = policy.execute(() => new Promise((_, reject) => (fail = reject)));
    const durations: number[] = [];
    policy.on('failure', (e) => durations.push(e.duration));
    const error = new Error('late');
    fail(error);
    await expect(result).rejects.toBe(error);
    expect(durations).toEqual([0]);
  });

  it('types its result as the union of the function and fallback values', async () => {
    const policy = fallback({ fallback: () => 'none' as const });
    const value: number | 'none' = await policy.execute(() => 1);
    expect(value).toBe(1);
  });

  it('rejects a missing fallback function at construction', () => {
    expect(() => fallback({} as never)).toThrow(InvalidOptionError);
    expect(() => fallback({ fallback: () => 1, handle: 3 as never })).toThrow(InvalidOptionError);
  });
});
