import { InvalidOptionError } from '../errors.js';
import { asFiniteNonNegative } from '../internal/finite.js';
import { describe, optionalFunction, requireIntegerIn, requireMethods } from '../internal/validate.js';

/**
 * A source of uniform random numbers in [0, 1). Wherever Bulwark draws from one, a draw outside that range is
 * made safe (see `uniform`): a number >= 1 counts as just below 1, a negative one as 0, and NaN or a non-number
 * is replaced by a `Math.random()` draw.
 */
export type RandomSource = () => number;

/** The delays of one execution's retries, drawn one at a time. */
export interface BackoffSequence {
  /** The delay (ms) before the next retry. */
  next(): number;
}

/**
 * An immutable description of retry delays. `start()` begins a fresh sequence for one execution, so one backoff
 * value can be shared by any number of concurrent executions.
 */
export interface Backoff {
  /** No delay it yields is larger than this. */
  readonly maxDelay: number;
  /**
   * How many retries this backoff allows, when it limits them (a `listBackoff` with `exhausted: 'stop'`): retry then
   * makes at most `maxRetries + 1` attempts. Default: undefined, no limit of its own.
   */
  readonly maxRetries?: number | undefined;
  /**
   * Begins a fresh sequence of delays for one execution. `random` defaults to `Math.random` (only jittered backoffs
   * draw from it).
   */
  start(random?: RandomSource): BackoffSequence;
  /** The first `count` delays of a fresh sequence: for tests and for showing a schedule. */
  delays(count: number, random?: RandomSource): number[];
}

/** Most delays `delays()` draws at once: it builds an array, so an unbounded count would exhaust memory. */
export const MAX_DELAYS = 1_000_000;

/** Shared `delays` implementation. */
export abstract class BackoffBase implements Backoff {
  abstract readonly maxDelay: number;
  /**
   * Begins a fresh sequence of delays for one execution. `random` defaults to `Math.random` (only jittered backoffs
   * draw from it).
   */
  abstract start(random?: RandomSource): BackoffSequence;

  delays(count: number, random?: RandomSource): number[] {
    requireIntegerIn('count', count, 0, MAX_DELAYS);
    const sequence = this.start(optionalFunction<RandomSource>('random', random));
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(sequence.next());
    return out;
  }
}

/** Clamps a computed delay into [0, max]; a NaN or overflow lands on the cap, never on a silently wrong value. */
export function clampDelay(value: number, max: number): number {
  if (Number.isNaN(value) || value > max) return max;
  return Math.max(0, value);
}

/** The largest double below 1. */
const BELOW_ONE = 1 - Number.EPSILON / 2;

/**
 * One draw from an injected random source, made safe: a number >= 1 counts as just below 1 and a negative one
 * as 0 (a source that returns exactly 1 is a common off-by-one), while NaN or a non-number, which says nothing,
 * is replaced by a `Math.random()` draw rather than by a fixed value that would disable jitter or throttling.
 */
export function uniform(random: RandomSource): number {
  const r = random();
  if (typeof r === 'number' && r >= 0 && r < 1) return r;
  if (typeof r !== 'number' || Number.isNaN(r)) return Math.random();
  return r < 0 ? 0 : BELOW_ONE;
}

/** Wraps an injected random source so a misbehaving one cannot push a delay outside its bounds. */
export function safeRandom(random: RandomSource): RandomSource {
  return () => uniform(random);
}

/** Checks a `backoff` option: anything with a start() method (constant, linear, exponential or your own). */
export function requireBackoff(value: unknown, name = 'backoff'): Backoff {
  return requireMethods<Backoff>(name, value, ['start'], 'a Backoff such as exponential()');
}

/** Starts a sequence of any Backoff, checking that a custom one returned something with next(). */
export function startSequence(backoff: Backoff, random?: RandomSource, name = 'backoff'): BackoffSequence {
  const sequence = backoff.start(random);
  if (typeof (sequence as Partial<BackoffSequence> | null | undefined)?.next !== 'function') {
    throw new InvalidOptionError(
      name,
      `start() returned ${describe(sequence)}; expected a sequence with a next() method`,
    );
  }
  return sequence;
}

/**
 * The next delay of any Backoff's sequence, made safe to wait on: never above `cap`, and a value that is not a
 * number >= 0 (NaN, a string, undefined, a negative number) counts as `cap`, the longest wait allowed: never a
 * silent 0 that would hammer the dependency, nor a wait that never ends.
 */
export function nextDelay(sequence: BackoffSequence, cap: number): number {
  const delay: unknown = sequence.next();
  if (typeof delay !== 'number' || !(delay >= 0)) return cap;
  return delay === 0 ? 0 : delay < cap ? delay : cap; // -0 reads as 0
}

/** The longest delay a backoff claims to yield, when it says so usably (custom backoffs may not). */
export function declaredMaxDelay(backoff: Backoff): number | undefined {
  return asFiniteNonNegative(backoff.maxDelay);
}

/** The number of retries a backoff allows, when it states a usable one (an integer >= 0). */
export function declaredMaxRetries(backoff: Backoff): number | undefined {
  const max: unknown = backoff.maxRetries;
  return typeof max === 'number' && Number.isInteger(max) && max >= 0 ? max : undefined;
}
