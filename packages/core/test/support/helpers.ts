import { getEventListeners } from 'node:events';
import { vi } from 'vitest';
import { sleep } from '../../src/index.js';
import type { VirtualClock } from '../../src/testing.js';

/** Number of 'abort' listeners currently attached to a signal (a leak check). */
export function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

/** A promise's state without awaiting it. */
export async function stateOf(promise: Promise<unknown>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  const marker = Symbol('pending');
  try {
    const value = await Promise.race([promise, Promise.resolve(marker)]);
    return value === marker ? 'pending' : 'fulfilled';
  } catch {
    return 'rejected';
  }
}

/** A promise settled from outside: `resolve` and `reject` are its two handles. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A function that fails `failures` times with `makeError(n)`, then returns `value`. */
export function flaky<T>(
  failures: number,
  value: T,
  makeError: (n: number) => unknown = (n) => new Error(`fail ${n}`),
) {
  const calls: number[] = [];
  const fn = (ctx: { attempt: number }): Promise<T> => {
    calls.push(ctx.attempt);
    if (calls.length <= failures) return Promise.reject(makeError(calls.length));
    return Promise.resolve(value);
  };
  return { fn, calls };
}

/** What `fn` throws synchronously (undefined when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A call that takes `ms` on the clock, then resolves with `value` or rejects with `error`. */
export function timedWork(
  clock: VirtualClock,
  ms: number,
  outcome: { value?: unknown; error?: unknown } = {},
) {
  return async (ctx: { signal: AbortSignal }) => {
    await sleep(ms, ctx.signal, clock);
    if ('error' in outcome) throw outcome.error;
    return outcome.value ?? 'ok';
  };
}

/** The errors rethrown detached (through queueMicrotask, as `throwDetached` does) while `run` runs, in order. */
export async function detachedErrors(run: () => Promise<void>): Promise<unknown[]> {
  const detached: (() => void)[] = [];
  const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((callback) => {
    detached.push(callback);
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return detached.map((callback) => {
    try {
      callback();
    } catch (error) {
      return error;
    }
    return undefined;
  });
}

/** An overload answer as an HTTP client reports it: a 503 error, with a Retry-After hint when given. */
export function overloaded(retryAfterMs?: number): Error & { status: number; retryAfterMs?: number } {
  return Object.assign(new Error('503 Service Unavailable'), { status: 503, retryAfterMs });
}

/** An answer that is no overload: a 404 error. */
export function notFound(): Error & { status: number } {
  return Object.assign(new Error('404 Not Found'), { status: 404 });
}
