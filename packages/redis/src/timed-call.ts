import { type Clock, TimeoutError, type TimerOptions } from '@bulwark/core';

/** An answer that is a promise (or any thenable), not a value. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/**
 * The settled answer of `pending`, passed through `onAnswer`, if it comes within `ms`; otherwise (or if it fails)
 * what `onFailure` makes of the failure (a core TimeoutError for the timeout). The timer guards pending work, so it
 * keeps the process alive unless `timerOptions` say otherwise, and it is cleared as soon as the call settles. An
 * answer arriving after the timeout is dropped: a late rejection is handled here, never unhandled.
 */
export function answerWithin<T, R>(
  pending: PromiseLike<T>,
  ms: number,
  clock: Clock,
  timerOptions: TimerOptions | undefined,
  onAnswer: (value: T) => R,
  onFailure: (error: unknown) => R | PromiseLike<R>,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let open = true;
    const settle = <V>(f: (v: V) => R | PromiseLike<R>, value: V): void => {
      try {
        resolve(f(value));
      } catch (error) {
        reject(error);
      }
    };
    const timer = clock.setTimer(
      () => {
        if (!open) return;
        open = false;
        settle(onFailure, new TimeoutError(ms));
      },
      ms,
      timerOptions,
    );
    const answered = (value: T): void => {
      if (!open) return;
      open = false;
      clock.clearTimer(timer);
      settle(onAnswer, value);
    };
    const failed = (error: unknown): void => {
      if (!open) return;
      open = false;
      clock.clearTimer(timer);
      settle(onFailure, error);
    };
    try {
      pending.then(answered, failed);
    } catch (error) {
      failed(error); // a thenable whose then() throws
    }
  });
}
