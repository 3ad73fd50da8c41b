import type { Clock } from '../clock.js';
import type { Ctx } from './context.js';

/**
 * Waits `ms` on `clock`, rejecting with the context's abort reason the moment it aborts. Uses the context's
 * listener list, so a wait inside an execution costs no AbortSignal.
 */
export function waitFor(clock: Clock, ms: number, context: Ctx): Promise<void> {
  if (context.aborted) return Promise.reject(context.reason);
  // A 0 ms wait needs no timer (a virtual clock would stall on it): it stays asynchronous and abortable.
  if (!(ms > 0)) {
    return Promise.resolve().then(() => {
      if (context.aborted) throw context.reason;
    });
  }
  return new Promise<void>((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    const handle = clock.setTimer(() => {
      unsubscribe?.();
      resolve();
    }, ms);
    if (context.canAbort) {
      unsubscribe = context.subscribe((reason) => {
        clock.clearTimer(handle);
        reject(reason);
      });
    }
  });
}
