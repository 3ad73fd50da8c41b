import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  constant,
  fallback,
  InvalidOptionError,
  type Pipeline,
  pipeline,
  type PolicyEventName,
  retry,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { VirtualClock } from '../src/testing.js';
import { abortListeners } from './support/helpers.js';

describe('pipeline', () => {
  it('first = outermost: retry(timeout) gives each attempt its own timeout', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      retry({ maxAttempts: 3, backoff: constant(0), clock }),
      timeout(100, { clock, resolution: 0 }),
    );
    const starts: number[] = [];
    const result = policy.execute(({ attempt }) => {
      starts.push(clock.now());
      return attempt < 2 ? new Promise(() => {}) : 'third time';
    });
    await clock.runAll();
    await expect(result).resolves.toBe('third time');
    expect(starts).toEqual([0, 100, 200]);
  });

  it('timeout(retry) bounds all attempts together', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      timeout(250, { clock, resolution: 0 }),
      retry({ maxAttempts: 10, backoff: constant(100), clock }),
    );
    let calls = 0;
    const result = policy.execute(() => {
      calls++;
      return Promise.reject(new Error('x'));
    });
    result.catch(() => {});
    await clock.runAll();
    // attempts at 0, 100, 200; the next wait would pass the 250 deadline so retry gives up with the last error
    await expect(result).rejects.toThrow('x');
    expect(calls).toBe(3);
  });

  it('lets a listener observe every layer, nested pipelines included', async () => {
    const clock = new VirtualClock();
    const inner = pipeline(retry({ maxAttempts: 2, backoff: constant(1), clock, name: 'inner-retry' }));
    const policy = pipeline(
      fallback({ fallback: () => 'fb', name: 'fb' }),
      inner,
      timeout(50, { clock, name: 't' }),
    );
    const seen: string[] = [];
    const off = policy.on('retry', (e) => seen.push(`retry@${e.policy}`));
    policy.on('fallback', (e) => seen.push(`fallback@${e.policy}`));
    policy.on('failure', (e) => seen.push(`failure@${e.policy}`));
    const result = policy.execute(() => Promise.reject(new Error('x')));
    await clock.runAll();
    await expect(result).resolves.toBe('fb');
    expect(seen).toEqual([
      'failure@t',
      'retry@inner-retry',
      'failure@t',
      'failure@inner-retry',
      'fallback@fb',
    ]);
    off();
    seen.length = 0;
    const again = policy.execute(() => Promise.reject(new Error('y')));
    await clock.runAll();
    await again;
    expect(seen.filter((s) => s.startsWith('retry'))).toEqual([]);
  });

  it('composes any number of policies', async () => {
    const layers = Array.from({ length: 12 }, () => retry({ maxAttempts: 1 }));
    await expect(pipeline(...layers).execute(() => 'deep')).resolves.toBe('deep');
    await expect(pipeline().execute(() => 'empty')).resolves.toBe('empty');
  });

  it('types the result with every fallback value and the events of its layers', async () => {
    const policy = pipeline(fallback({ fallback: () => null }), retry(), timeout(10));
    const value = await policy.execute(async () => 42);
    expectTypeOf(value).toEqualTypeOf<number | null>();
    expectTypeOf(policy).toMatchTypeOf<Pipeline<any>>();
    expectTypeOf<'retry'>().toMatchTypeOf<PolicyEventName>();
  });

  it('rejects at once with the reason of an already-aborted signal', async () => {
    let calls = 0;
    const result = pipeline(retry(), timeout(10)).execute(
      () => {
        calls++;
      },
      { signal: AbortSignal.abort('gone') },
    );
    await expect(result).rejects.toBe('gone');
    expect(calls).toBe(0);
  });

  it('a caller abort while a retry waits rejects promptly through every layer, with no leaks', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const policy = pipeline(
      timeout(10_000, { clock }),
      retry({ maxAttempts: 5, backoff: constant(1_000), clock }),
      timeout(100, { clock }),
    );
    let calls = 0;
    const result = policy.execute(
      () => {
        calls++;
        return Promise.reject(new Error('x'));
      },
      { signal: controller.signal },
    );
    await clock.advance(500);
    controller.abort('stop');
    await expect(result).rejects.toBe('stop');
    expect(calls).toBe(1);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('treats a timeout inside retry as retryable by default', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      retry({ maxAttempts: 2, backoff: constant(0), clock }),
      timeout(10, { clock, resolution: 0 }),
    );
    const result = policy.execute(() => new Promise(() => {}));
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
  });

  it('runs a nested pipeline in place, between outer layers, on every call', async () => {
    const order: string[] = [];
    const inner = pipeline(
      fallback({ fallback: () => 'inner fallback', name: 'innerFb' }),
      retry({ maxAttempts: 2, backoff: constant(0) }),
    );
    const policy = pipeline(inner, timeout(1_000));
    for (let call = 0; call < 2; call++) {
      let attempts = 0;
      const value = await policy.execute(({ attempt, signal }) => {
        order.push(`attempt ${attempt} aborted=${signal.aborted}`);
        attempts++;
        return attempts < 2 ? Promise.reject(new Error('once')) : `ok ${call}`;
      });
      expect(value).toBe(`ok ${call}`);
    }
    expect(order).toEqual([
      'attempt 0 aborted=false',
      'attempt 1 aborted=false',
      'attempt 0 aborted=false',
      'attempt 1 aborted=false',
    ]);
  });

  it('refuses things that are not policies', () => {
    expect(() => pipeline({} as never)).toThrow(InvalidOptionError);
    expect(() => pipeline(retry(), null as never)).toThrow(/policies\[1\]/);
  });
});
