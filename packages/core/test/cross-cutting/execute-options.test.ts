/**
 * `execute(fn, options)` of every policy validates its options: a bad `signal` or `deadline` (or options that are
 * not an object) is an InvalidOptionError naming the option, returned as a rejection, never thrown synchronously,
 * and the function never runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  adaptiveThrottle,
  bulkhead,
  circuitBreaker,
  fallback,
  hedge,
  InvalidOptionError,
  keyedPolicy,
  pipeline,
  rateLimit,
  retry,
  timeout,
  tokenBucket,
} from '../../src/index.js';

type Execute = (fn: () => unknown, options?: unknown) => Promise<unknown>;

const executors: Record<string, () => Execute> = {
  retry: () => {
    const p = retry();
    return (fn, o) => p.execute(fn, o as never);
  },
  timeout: () => {
    const p = timeout(1_000);
    return (fn, o) => p.execute(fn, o as never);
  },
  circuitBreaker: () => {
    const p = circuitBreaker();
    return (fn, o) => p.execute(fn, o as never);
  },
  bulkhead: () => {
    const p = bulkhead({ maxConcurrent: 1 });
    return (fn, o) => p.execute(fn, o as never);
  },
  rateLimit: () => {
    const p = rateLimit({ limits: tokenBucket({ rate: 10 }) });
    return (fn, o) => p.execute(fn, o as never);
  },
  fallback: () => {
    const p = fallback({ fallback: () => 'fallback' });
    return (fn, o) => p.execute(fn, o as never);
  },
  hedge: () => {
    const p = hedge({ delay: 100 });
    return (fn, o) => p.execute(fn, o as never);
  },
  adaptiveThrottle: () => {
    const p = adaptiveThrottle();
    return (fn, o) => p.execute(fn, o as never);
  },
  adaptiveConcurrency: () => {
    const p = adaptiveConcurrency();
    return (fn, o) => p.execute(fn, o as never);
  },
  pipeline: () => {
    const p = pipeline(retry(), timeout(1_000));
    return (fn, o) => p.execute(fn, o as never);
  },
  keyedPolicy: () => {
    const p = keyedPolicy(() => retry());
    return (fn, o) => p.execute('key', fn, o as never);
  },
};

const bad: Array<[string, unknown, string]> = [
  ['a plain object as signal', { signal: {} }, 'signal'],
  ['a string as signal', { signal: 'abort' }, 'signal'],
  ['a number as signal', { signal: 42 }, 'signal'],
  ['an AbortController as signal', { signal: new AbortController() }, 'signal'],
  ['NaN as deadline', { deadline: Number.NaN }, 'deadline'],
  ['a string as deadline', { deadline: '1000' }, 'deadline'],
  ['-Infinity as deadline', { deadline: Number.NEGATIVE_INFINITY }, 'deadline'],
  ['a date as deadline', { deadline: new Date() }, 'deadline'],
  ['a string as options', 'fast', 'options'],
  ['a number as options', 42, 'options'],
];

/** Calls `execute` and captures a synchronous throw apart from the returned promise's outcome. */
async function attempt(execute: Execute, options: unknown) {
  let calls = 0;
  let promise: Promise<unknown>;
  try {
    promise = execute(() => {
      calls++;
      return 'ran';
    }, options);
  } catch (thrown) {
    return { thrown, calls };
  }
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { outcome, calls };
}

describe.each(Object.entries(executors))('%s.execute', (_name, make) => {
  it.each(bad)('rejects %s with InvalidOptionError naming the option', async (_case, options, option) => {
    const result = await attempt(make(), options);
    expect(result).not.toHaveProperty('thrown');
    const { outcome, calls } = result as { outcome: { ok: boolean; error?: unknown }; calls: number };
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBeInstanceOf(InvalidOptionError);
    expect((outcome.error as InvalidOptionError).option).toBe(option);
    expect(calls).toBe(0);
  });

  it('accepts a null signal (no signal, as fetch does) and an infinite deadline (none)', async () => {
    const execute = make();
    await expect(execute(() => 'ok', { signal: null })).resolves.toBe('ok');
    await expect(execute(() => 'ok', { deadline: Number.POSITIVE_INFINITY })).resolves.toBe('ok');
    await expect(execute(() => 'ok', {})).resolves.toBe('ok');
  });
});

describe('execute option validation (property)', () => {
  it('whatever the signal and deadline, execute never throws: valid ones run, others reject naming the option', async () => {
    const signalArb = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.constant('signal'),
      fc.anything(),
      fc.constant(new AbortController().signal),
    );
    const deadlineArb = fc.oneof(fc.constant(undefined), fc.constant(null), fc.double(), fc.anything());
    await fc.assert(
      fc.asyncProperty(signalArb, deadlineArb, async (signal, deadline) => {
        const validSignal = signal === undefined || signal === null || signal instanceof AbortSignal;
        const validDeadline =
          deadline === undefined ||
          deadline === null ||
          (typeof deadline === 'number' && deadline > -Infinity);
        const result = await attempt(executors.pipeline!(), { signal, deadline });
        expect(result).not.toHaveProperty('thrown');
        const { outcome } = result as { outcome: { ok: boolean; error?: unknown } };
        if (validSignal && validDeadline) {
          // A valid deadline in the past still runs the function once (nothing retries past it).
          expect(outcome.ok).toBe(true);
        } else {
          expect(outcome.error).toBeInstanceOf(InvalidOptionError);
          expect((outcome.error as InvalidOptionError).option).toBe(validSignal ? 'deadline' : 'signal');
        }
      }),
    );
  });
});
