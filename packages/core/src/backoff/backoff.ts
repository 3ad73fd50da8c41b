import { InvalidOptionError } from '../errors.js';
import { describe, optionalFunction, requireInteger, requireMethods } from '../internal/validate.js';

/** A source of uniform random numbers in [0, 1). */
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
  start(random?: RandomSource): BackoffSequence;
  /** The first `count` delays of a fresh sequence: for tests and for showing a schedule. */
  delays(count: number, random?: RandomSource): number[];
}

/** Most delays `delays()` draws at once: it builds an array, so an unbounded count would exhaust memory. */
export const MAX_DELAYS = 1_000_000;

/** Shared `delays` implementation. */
export abstract class BackoffBase implements Backoff {
  abstract readonly maxDelay: number;
  abstract start(random?: RandomSource): BackoffSequence;

  delays(count: number, random?: RandomSource): number[] {
    requireInteger('count', count, 0);
    if (count > MAX_DELAYS) {
      throw new InvalidOptionError('count', `expected at most ${MAX_DELAYS}, got ${describe(count)}`);
    }
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

/** Wraps an injected random source so a misbehaving one cannot push a delay outside its bounds. */
export function safeRandom(random: RandomSource): RandomSource {
  return () => {
    const r = random();
    return r >= 0 && r < 1 ? r : r >= 1 ? 0.999_999_999 : 0;
  };
}

/** Checks a `backoff` option: anything with a start() method (constant, linear, exponential or your own). */
export function requireBackoff(value: unknown, name = 'backoff'): Backoff {
  return requireMethods<Backoff>(name, value, ['start'], 'a Backoff such as exponential()');
}
