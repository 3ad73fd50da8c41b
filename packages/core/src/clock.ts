import { requireFiniteNonNegative } from './internal/validate.js';

/** A source of time: every time-dependent policy takes one, so tests can run on a virtual clock. */
export interface Clock {
  /** Milliseconds since the epoch (wall time, so snapshots and HTTP dates stay meaningful). */
  now(): number;
  /**
   * Runs `callback` once after `ms`. A timer that guards pending work (a retry wait, a timeout's deadline) keeps
   * the process alive; a background timer (`unref: true`, e.g. idle eviction) does not, so it never holds a
   * finished process open. `ms` is clamped to >= 0 (NaN counts as 0); `Infinity` never fires and arms nothing.
   */
  setTimer(callback: () => void, ms: number, options?: TimerOptions): TimerHandle;
  /** Cancels a timer `setTimer` armed; a timer that already fired or was cleared, or another clock's, is left alone. */
  clearTimer(handle: TimerHandle): void;
  /**
   * Optional: makes an armed timer keep the process alive (`true`) or not (`false`) from now on, as Node's
   * `timeout.ref()` / `unref()` do. A timer shared by many calls (a timeout's deadline) stays armed while no call
   * waits for it, but must not hold the process then. Without it, such a timer keeps its initial setting.
   */
  refTimer?(handle: TimerHandle, ref: boolean): void;
}

/** What `setTimer` returns, for `clearTimer` and `refTimer` only (its shape is the clock's business). */
export type TimerHandle = unknown;

/** Options of {@link Clock.setTimer}. */
export interface TimerOptions {
  /** Do not keep the process alive for this timer. */
  readonly unref?: boolean;
}

/** Node/browser setTimeout accepts at most 2^31-1 ms; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** A real timer: the current `setTimeout` id (long waits are chained) and whether it is unref'd. */
interface TimerBox {
  id: ReturnType<typeof setTimeout> | undefined;
  unref: boolean;
}

type NodeTimeout = { ref?: () => void; unref?: () => void };

class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(callback: () => void, ms: number, options?: TimerOptions): TimerHandle {
    const box: TimerBox = { id: undefined, unref: options?.unref === true };
    // A wait that never ends needs no timer: chaining one would keep the process alive forever for nothing.
    if (ms === Number.POSITIVE_INFINITY) return box;
    const delay = Math.max(0, ms || 0); // NaN counts as 0
    const due = Date.now() + delay;
    const arm = (delay: number): void => {
      box.id = setTimeout(
        () => {
          // Timers may fire a little early; waits must never land before the time they promised.
          const left = due - Date.now();
          if (left > 0) arm(left);
          else callback();
        },
        // delay >= 0: the clamped ms first, then what was left (> 0).
        Math.min(delay, MAX_TIMER_MS),
      );
      if (box.unref) (box.id as NodeTimeout).unref?.();
    };
    arm(delay);
    return box;
  }

  clearTimer(handle: TimerHandle): void {
    const box = handle as TimerBox | undefined;
    if (box?.id !== undefined) clearTimeout(box.id);
  }

  refTimer(handle: TimerHandle, ref: boolean): void {
    const box = handle as TimerBox | undefined;
    if (box === undefined || box.unref === !ref) return;
    box.unref = !ref;
    const id = box.id as NodeTimeout | undefined;
    if (ref) id?.ref?.();
    else id?.unref?.();
  }
}

/** The default clock: Date.now and Node/browser timers. */
export const realClock: Clock = /* @__PURE__ */ new RealClock();

/**
 * Waits `ms` (a finite number >= 0; anything else rejects with InvalidOptionError) on `clock`. Rejects with the
 * signal's reason as soon as `signal` aborts, and leaves no timer or listener behind either way. `sleep(0)` arms
 * no timer (a virtual clock need not move for it): it resolves on a microtask, unless the signal aborted by then.
 */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = realClock): Promise<void> {
  try {
    requireFiniteNonNegative('ms', ms);
  } catch (error) {
    return Promise.reject(error);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms === 0) {
    return Promise.resolve().then(() => {
      if (signal?.aborted) throw signal.reason;
    });
  }
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimer(handle);
      reject(signal!.reason);
    };
    const handle = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
