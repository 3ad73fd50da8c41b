import { InvalidOptionError } from '../errors.js';
import { describe, optionsOf, requireFiniteNonNegative, requireOneOf } from '../internal/validate.js';
import { BackoffBase, type BackoffSequence } from './backoff.js';

/** What a {@link listBackoff} does once its list is used up. */
export type ListExhausted = 'repeat' | 'stop';

/** Options of {@link listBackoff}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface ListBackoffOptions {
  /**
   * Once every delay of the list was used: 'repeat' (default) waits the last delay before every further retry;
   * 'stop' allows no further retry (`maxRetries` is the list's length, so retry gives up with reason `attempts`
   * after `delays.length` retries even when its `maxAttempts` is larger).
   */
  readonly exhausted?: ListExhausted;
}

/** Longest list accepted: a list is copied, so an absurd one is refused rather than exhausting memory. */
const MAX_LIST = 100_000;

class ListBackoff extends BackoffBase {
  declare readonly maxDelay: number;
  declare readonly maxRetries: number | undefined;
  declare private readonly list: readonly number[];
  constructor(delays: readonly number[], options: ListBackoffOptions) {
    super();
    if (!Array.isArray(delays) || delays.length === 0 || delays.length > MAX_LIST) {
      throw new InvalidOptionError(
        'delays',
        `expected an array of 1 to ${MAX_LIST} delays (ms), got ${describe(delays)}`,
      );
    }
    const list = delays.map((delay, i) => requireFiniteNonNegative(`delays[${i}]`, delay));
    this.list = Object.freeze(list);
    let max = 0;
    for (const delay of list) if (delay > max) max = delay;
    this.maxDelay = max;
    const stops = requireOneOf('exhausted', options.exhausted ?? 'repeat', ['repeat', 'stop']) === 'stop';
    this.maxRetries = stops ? list.length : undefined;
    Object.freeze(this);
  }
  start(): BackoffSequence {
    const list = this.list;
    const last = list.length - 1;
    let n = 0;
    // Past the end (a 'stop' list asked by something other than retry, e.g. a breaker's halfOpenAfter), the last
    // delay repeats: a sequence always yields a delay.
    return { next: () => list[n < last ? n++ : last]! };
  }
}

/**
 * The delays of a list, in order (ms): `listBackoff([100, 1_000, 5_000])`. Once used up, the last delay repeats, or
 * with `exhausted: 'stop'` retry stops retrying (cockatiel's `IterableBackoff`).
 * @throws {@link InvalidOptionError} naming `delays` (or `delays[i]`) for an empty list or a delay that is not a finite
 * number >= 0, or naming an invalid option.
 */
export function listBackoff(
  delays: readonly number[],
  options?: ListBackoffOptions,
): BackoffBase & {
  /** How many retries it allows: the list's length with `exhausted: 'stop'`, otherwise undefined (no limit). */
  readonly maxRetries: number | undefined;
} {
  return new ListBackoff(delays, optionsOf(options));
}
