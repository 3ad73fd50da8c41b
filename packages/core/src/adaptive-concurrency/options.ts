import { isOverloadError } from '../errors.js';
import type { Clock, TimerOptions } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import { unrefOption } from '../internal/timer-options.js';
import {
  clockOf,
  invalid,
  optionalFunction,
  orDefault,
  policyName,
  requireFiniteNonNegative,
  requireInteger,
  requireNonNegativeOrInfinity,
  requireNumberIn,
  requireOneOf,
  requirePositive,
} from '../internal/validate.js';
import type { LimitSettings } from './limit-controller.js';

/**
 * Options of {@link adaptiveConcurrency}. All are optional; a bad value throws {@link InvalidOptionError} naming the
 * option.
 */
export interface AdaptiveConcurrencyOptions {
  /**
   * Concurrency limit before anything is known about the dependency. The limit only grows while it is actually
   * used (at least half its slots busy), so an idle client does not build up a limit it never tested.
   * Default 20 (clamped into [minLimit, maxLimit]).
   */
  readonly initialLimit?: number;
  /**
   * Lowest limit (> 0). A limit below 1 means one call at a time, started at most once per (service time /
   * limit): with the default, a dependency refusing everything still gets one probe per ten service times from
   * this client, which is how it notices the dependency is back, while many client processes together do not
   * keep it overloaded. Default 0.1.
   */
  readonly minLimit?: number;
  /** Highest limit (integer >= 1 and >= minLimit, or Infinity). Default 1000. */
  readonly maxLimit?: number;
  /**
   * Multiplicative decrease on an overload signal, in (0, 1): the new limit is this share of the slots in use.
   * Default 0.5 (TCP's). The limit then climbs back quickly towards the level it fell from, and slowly near it.
   */
  readonly backoffRatio?: number;
  /**
   * Longest a call waits for a slot (ms, >= 0 or Infinity). The caller's deadline shortens it; the caller's
   * signal ends it at any time. Default 60 000, like `rateLimit`'s `maxWait`.
   */
  readonly maxWait?: number;
  /** Calls allowed to wait (integer >= 0, or Infinity). Default Infinity: `maxWait` and deadlines bound it. */
  readonly maxQueue?: number;
  /**
   * Which waiting call a free slot goes to once the queue is backlogged (its oldest call has waited more than
   * two service times). 'deadline' (default): earliest deadline first, as when the queue moves, which finishes
   * the most calls. 'newestFirst': the latest arrival (adaptive LIFO), so calls arriving now stay fast while the
   * stale backlog expires: for callers who give up early (interactive requests), at the cost of completions.
   */
  readonly backlogOrder?: 'newestFirst' | 'deadline';
  /**
   * Service time assumed until a successful call has been timed (ms, > 0): how long a refused call keeps its
   * slot. Default 1 000.
   */
  readonly initialRtt?: number;
  /**
   * Longest dispatch pause (ms, >= 0) that a refusal's delay hint (`retryAfterMs`, e.g. Gemini's RetryInfo on a
   * 429) can impose on every waiting call; 0 ignores hints. Default 60 000.
   */
  readonly maxPause?: number;
  /**
   * Which errors say the dependency is overloaded (429, 503, timeouts...): they lower the limit. Default
   * `isOverloadError`. Any other error is an answer: it neither lowers nor raises the limit.
   */
  readonly handle?: (error: unknown) => boolean;
  /**
   * Let the process exit while calls wait for a slot. Default false: a waiting call's timers (its `maxWait`, the
   * pace, a pause, a refused call's held slot) keep a Node process alive until it is sent or gives up; none is
   * left once nobody waits.
   */
  readonly unref?: boolean;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'adaptiveConcurrency'`. */
  readonly name?: string;
}

/** The options once validated, with their defaults. */
export interface AdaptiveConcurrencySettings extends LimitSettings {
  readonly name: string;
  readonly maxWait: number;
  readonly maxQueue: number;
  readonly maxPause: number;
  readonly backlogOrder: 'newestFirst' | 'deadline';
  readonly handle: (error: unknown) => boolean;
  readonly timerOptions: TimerOptions | undefined;
  readonly clock: Clock;
}

/** Validates the options (InvalidOptionError naming the first bad one) and fills in the defaults. */
export function adaptiveConcurrencySettings(
  options: AdaptiveConcurrencyOptions,
): AdaptiveConcurrencySettings {
  const name = policyName(options, 'adaptiveConcurrency');
  const minLimit = requirePositive('minLimit', orDefault(options.minLimit, 0.1));
  const maxLimit = requireInteger(
    'maxLimit',
    orDefault(options.maxLimit, Math.max(1000, Math.ceil(minLimit))),
    1,
    true,
  );
  if (maxLimit < minLimit) {
    throw new InvalidOptionError('maxLimit', `expected at least minLimit (${minLimit}), got ${maxLimit}`);
  }
  const initial = requireNumberIn(
    'initialLimit',
    orDefault(options.initialLimit, Math.min(Math.max(20, minLimit), maxLimit)),
    minLimit,
    maxLimit,
  );
  const backoffRatio = orDefault(options.backoffRatio, 0.5);
  if (typeof backoffRatio !== 'number' || !(backoffRatio > 0 && backoffRatio < 1)) {
    throw invalid('backoffRatio', 'a number in (0, 1)', backoffRatio);
  }
  const maxWait = requireNonNegativeOrInfinity('maxWait', orDefault(options.maxWait, 60_000));
  const maxQueue = requireInteger('maxQueue', orDefault(options.maxQueue, Number.POSITIVE_INFINITY), 0, true);
  const initialRtt = requirePositive('initialRtt', orDefault(options.initialRtt, 1_000));
  const maxPause = requireFiniteNonNegative('maxPause', orDefault(options.maxPause, 60_000));
  const backlogOrder = requireOneOf('backlogOrder', orDefault(options.backlogOrder, 'deadline'), [
    'newestFirst',
    'deadline',
  ]);
  const handle = optionalFunction<(error: unknown) => boolean>('handle', options.handle) ?? isOverloadError;
  const timerOptions = unrefOption(options.unref);
  const clock = clockOf(options.clock);
  return {
    name,
    initialLimit: initial,
    minLimit,
    maxLimit,
    backoffRatio,
    maxWait,
    maxQueue,
    initialRtt,
    maxPause,
    backlogOrder,
    handle,
    timerOptions,
    clock,
  };
}
