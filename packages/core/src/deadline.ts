import { type Clock, realClock } from './clock.js';
import { TimeoutError } from './errors.js';
import { DEADLINE } from './internal/context.js';
import { requireFiniteNonNegative } from './internal/validate.js';

/**
 * An AbortSignal that aborts with a TimeoutError `ms` from now and carries its deadline, so every Bulwark policy
 * it is passed to (`execute(fn, { signal })`) can plan around it: retry gives up instead of sleeping past it.
 * Like `AbortSignal.timeout`, but deadline-aware and on an injectable clock. Follows `parent` if given.
 */
export function deadlineSignal(
  ms: number,
  options: { clock?: Clock; signal?: AbortSignal } = {},
): AbortSignal {
  requireFiniteNonNegative('ms', ms);
  const clock = options.clock ?? realClock;
  const controller = new AbortController();
  const parent = options.signal;
  const parentDeadline = (parent as { [DEADLINE]?: number } | undefined)?.[DEADLINE];
  const own = clock.now() + ms;
  (controller.signal as { [DEADLINE]?: number })[DEADLINE] =
    parentDeadline === undefined ? own : Math.min(own, parentDeadline);
  const onParentAbort = (): void => {
    clock.clearTimer(handle);
    controller.abort(parent!.reason);
  };
  // Unref'd: a deadline alone must not keep a finished process alive.
  const handle = clock.setTimer(
    () => {
      parent?.removeEventListener('abort', onParentAbort);
      controller.abort(new TimeoutError(ms));
    },
    ms,
    { unref: true },
  );
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return controller.signal;
}

/** The deadline (clock ms) a signal carries, if it was made by Bulwark. */
export function deadlineOf(signal: AbortSignal | undefined): number | undefined {
  const value = (signal as { [DEADLINE]?: unknown } | undefined)?.[DEADLINE];
  return typeof value === 'number' ? value : undefined;
}
