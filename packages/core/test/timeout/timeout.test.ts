import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEADLINE,
  type ExecutionContext,
  InvalidOptionError,
  isTimeoutError,
  pipeline,
  TimeoutError,
  timeout,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { abortListeners, stateOf } from '../support/helpers.js';

/** A function that resolves after `ms` on the clock unless its signal aborts first. */
function slow(clock: VirtualClock, ms: number, value = 'done') {
  return ({ signal }: ExecutionContext) =>
    new Promise<string>((resolve, reject) => {
      const handle = clock.setTimer(() => resolve(value), ms);
      signal.addEventListener(
        'abort',
        () => {
          clock.clearTimer(handle);
          reject(new Error('aborted inside fn'));
        },
        { once: true },
      );
    });
}

describe('timeout (aggressive)', () => {
  it('rejects with TimeoutError at the deadline and aborts the context signal with it', async () => {
    const clock = new VirtualClock();
    let seen: AbortSignal | undefined;
    const result = timeout(100, { clock, resolution: 0 }).execute((ctx) => {
      seen = ctx.signal;
      return new Promise(() => {}); // never settles: aggressive must not wait for it
    });
    await clock.advance(99);
    expect(await stateOf(result)).toBe('pending');
    await clock.advance(1);
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
    expect(seen?.aborted).toBe(true);
    expect(isTimeoutError(seen?.reason)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fires no earlier than the deadline and at most `resolution` later', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock }); // default resolution: 1% = 10 ms
    expect(policy.resolution).toBe(10);
    const result = policy.execute(() => new Promise(() => {}));
    result.catch(() => {});
    await clock.advance(999);
    expect(await stateOf(result)).toBe('pending');
    await clock.advance(11);
    expect(await stateOf(result)).toBe('rejected');
  });

  it('returns the value when the function settles in time, and never aborts its signal afterwards', async () => {
    const clock = new VirtualClock();
    let seen: AbortSignal | undefined;
    const result = timeout(100, { clock }).execute(async (ctx) => {
      seen = ctx.signal;
      return 'fast';
    });
    await expect(result).resolves.toBe('fast');
    await clock.advance(10_000);
    // A stream returned by fn keeps reading with this signal: it must not be aborted just because fn returned.
    expect(seen?.aborted).toBe(false);
  });

  it('a stream read after the function returned survives past the deadline', async () => {
    const clock = new VirtualClock();
    const chunks: string[] = [];
    const stream = await timeout(100, { clock }).execute(async ({ signal }) => {
      return (async function* () {
        for (const c of ['a', 'b', 'c']) {
          await new Promise<void>((r) => clock.setTimer(r, 80));
          if (signal.aborted) throw signal.reason;
          yield c;
        }
      })();
    });
    const reading = (async () => {
      for await (const c of stream) chunks.push(c);
    })();
    await clock.runAll();
    await reading;
    expect(chunks).toEqual(['a', 'b', 'c']);
  });

  it('rejects with the caller abort reason, never as a timeout', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const events: string[] = [];
    const policy = timeout(1_000, { clock });
    policy.on('timeout', () => events.push('timeout'));
    const result = policy.execute(() => new Promise(() => {}), { signal: controller.signal });
    await clock.advance(10);
    controller.abort(new Error('user cancelled'));
    await expect(result).rejects.toThrow('user cancelled');
    expect(events).toEqual([]);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('propagates the caller abort into the context signal', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const result = timeout(1_000, { clock }).execute(
      (ctx) => {
        inner = ctx.signal;
        return new Promise(() => {});
      },
      { signal: controller.signal },
    );
    controller.abort('bye');
    await expect(result).rejects.toBe('bye');
    expect(inner?.aborted).toBe(true);
    expect(inner?.reason).toBe('bye');
  });

  it('leaves no listener on the caller signal once settled', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const policy = timeout(100, { clock });
    await policy.execute(async (ctx) => ctx.signal.aborted, { signal: controller.signal });
    const late = policy.execute(() => new Promise(() => {}), { signal: controller.signal });
    late.catch(() => {});
    await clock.runAll();
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    await expect(
      policy.execute(() => Promise.reject(new Error('x')), { signal: controller.signal }),
    ).rejects.toThrow('x');
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('handles synchronous throws and plain values', async () => {
    const policy = timeout(100);
    await expect(
      policy.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(policy.execute(() => 42)).resolves.toBe(42);
  });

  it('observes a late failure of the function after timing out (no unhandled rejection)', async () => {
    const clock = new VirtualClock();
    let rejectLate: (e: unknown) => void = () => {};
    const result = timeout(10, { clock, resolution: 0 }).execute(
      () =>
        new Promise((_, reject) => {
          rejectLate = reject;
        }),
    );
    result.catch(() => {});
    await clock.advance(10);
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
    rejectLate(new Error('late'));
    await clock.advance(1);
  });

  it('sets ctx.deadline and exposes it on the signal, taking the earlier of nested deadlines', async () => {
    const clock = new VirtualClock(1_000);
    const policy = pipeline(timeout(500, { clock, resolution: 0 }), timeout(2_000, { clock, resolution: 0 }));
    const seen = await policy.execute((ctx) => ({
      deadline: ctx.deadline,
      onSignal: (ctx.signal as any)[DEADLINE],
    }));
    expect(seen).toEqual({ deadline: 1_500, onSignal: 1_500 });
  });

  it('an inner timeout that fires first reports itself; the outer is unaffected', async () => {
    const clock = new VirtualClock();
    const outer = timeout(1_000, { clock, resolution: 0, name: 'total' });
    const inner = timeout(100, { clock, resolution: 0, name: 'attempt' });
    const fired: string[] = [];
    const policy = pipeline(outer, inner);
    policy.on('timeout', (e) => fired.push(e.policy));
    const result = policy.execute(slow(clock, 500));
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toMatchObject({ timeoutMs: 100 });
    expect(fired).toEqual(['attempt']);
  });

  it('shares one timer across many concurrent calls and leaves none after they settle', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock });
    const calls = Array.from({ length: 500 }, (_, i) =>
      policy.execute(slow(clock, i % 2 === 0 ? 10 : 5_000)),
    );
    for (const c of calls) c.catch(() => {});
    expect(clock.pendingTimers).toBeLessThanOrEqual(500 + 2); // the fn timers + shared deadline/bucket timers
    await clock.runAll();
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(250);
    expect(outcomes.filter((o) => o.status === 'rejected' && isTimeoutError(o.reason))).toHaveLength(250);
    expect(clock.pendingTimers).toBe(0);
    expect(policy.queue.size).toBe(0);
  });

  it('bounds the resolution: timeout(100, { resolution: 3000 }) fires by 110 ms, not after 3.1 s', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock, resolution: 3_000 });
    expect(policy.resolution).toBe(10);
    const result = policy.execute(() => new Promise(() => {}));
    result.catch(() => {});
    await clock.advance(99);
    expect(await stateOf(result)).toBe('pending');
    await clock.advance(11);
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
    expect(timeout(60_000, { resolution: 30_000 }).resolution).toBe(1_000);
    expect(timeout(5, { resolution: 100 }).resolution).toBe(1);
  });

  it('fires no earlier than the timeout and at most a tenth of it (1 ms at least, 1 s at most) later', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }),
        fc.integer({ min: 0, max: 1_000 }),
        async (ms, resolution, startAt) => {
          const clock = new VirtualClock();
          const policy = timeout(ms, { clock, resolution });
          const bound = Math.min(1_000, Math.max(1, ms / 10));
          expect(policy.resolution).toBeLessThanOrEqual(bound);
          await clock.advance(startAt);
          const result = policy.execute(() => new Promise(() => {}));
          result.catch(() => {});
          await clock.advanceTo(startAt + ms - 1e-3);
          expect(await stateOf(result)).toBe('pending');
          await clock.advanceTo(startAt + ms + bound);
          expect(await stateOf(result)).toBe('rejected');
          await clock.runAll();
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('Infinity means no timeout', async () => {
    await expect(timeout(Number.POSITIVE_INFINITY).execute(() => 'x')).resolves.toBe('x');
  });

  it('rejects invalid options at construction', () => {
    for (const ms of [0, -1, Number.NaN, '10' as never])
      expect(() => timeout(ms)).toThrow(InvalidOptionError);
    expect(() => timeout(10, { strategy: 'eager' as never })).toThrow(InvalidOptionError);
    expect(() => timeout(10, { resolution: -1 })).toThrow(InvalidOptionError);
  });

  it('emits timeout, success and failure', async () => {
    const clock = new VirtualClock();
    const policy = timeout(50, { clock, resolution: 0 });
    const seen: string[] = [];
    policy.on('timeout', (e) => seen.push(`timeout:${e.timeoutMs}`));
    policy.on('success', () => seen.push('success'));
    policy.on('failure', (e) => seen.push(`failure:${(e.error as Error).name}`));
    await policy.execute(() => 1);
    const r = policy.execute(() => new Promise(() => {}));
    r.catch(() => {});
    await clock.runAll();
    expect(seen).toEqual(['success', 'timeout:50', 'failure:TimeoutError']);
  });
});

describe('timeout (cooperative)', () => {
  it('aborts the signal at the deadline and waits for the function, then rejects with TimeoutError', async () => {
    const clock = new VirtualClock();
    let cleanedUp = false;
    const result = timeout(100, { clock, strategy: 'cooperative', resolution: 0 }).execute(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener(
            'abort',
            () => {
              // Cleanup takes a while; cooperative mode waits for it.
              clock.setTimer(() => {
                cleanedUp = true;
                reject(new Error('cleaned up'));
              }, 50);
            },
            { once: true },
          );
        }),
    );
    await clock.advance(100);
    expect(await stateOf(result)).toBe('pending');
    await clock.advance(50);
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
    expect(cleanedUp).toBe(true);
    await result.catch((e) => expect((e as Error).cause).toBeInstanceOf(Error));
  });

  it('returns the value if the function completes despite the abort', async () => {
    const clock = new VirtualClock();
    const result = timeout(100, { clock, strategy: 'cooperative', resolution: 0 }).execute(
      () => new Promise((resolve) => clock.setTimer(() => resolve('finished anyway'), 150)),
    );
    await clock.runAll();
    await expect(result).resolves.toBe('finished anyway');
  });

  it('rejects with the caller reason on caller abort', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const result = timeout(100, { clock, strategy: 'cooperative' }).execute(slow(clock, 1_000), {
      signal: controller.signal,
    });
    controller.abort('mine');
    await expect(result).rejects.toBe('mine');
    expect(abortListeners(controller.signal)).toBe(0);
  });
});
