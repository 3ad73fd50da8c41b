import { optionsOf, orDefault, requireFiniteNonNegative, requireFunction } from '../internal/validate.js';
import { BackoffBase, type BackoffSequence, clampDelay, type RandomSource, safeRandom } from './backoff.js';
import { applyJitter, requireSimpleJitter, type SimpleJitter } from './jitter.js';

/** Options of {@link linear}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface LinearOptions {
  /** Delay before the first retry (ms). Default 1000. */
  readonly initialDelay?: number;
  /** Added for each further retry (ms). Default: initialDelay. */
  readonly step?: number;
  /** Cap for every delay (ms), like exponential's: a larger initialDelay yields maxDelay. Default 30 000. */
  readonly maxDelay?: number;
  /**
   * How each (capped) delay is randomised: 'none' (default), 'full' (uniform in [0, delay]) or 'equal' (uniform in
   * [delay/2, delay]).
   */
  readonly jitter?: SimpleJitter;
  /** Random source for jitter. Default `Math.random` (retry's `random` option, when set, takes precedence). */
  readonly random?: RandomSource;
}

class LinearBackoff extends BackoffBase {
  declare readonly initialDelay: number;
  declare readonly step: number;
  declare readonly maxDelay: number;
  declare readonly jitter: SimpleJitter;
  declare readonly random: RandomSource;
  constructor(options: LinearOptions) {
    super();
    this.initialDelay = requireFiniteNonNegative('initialDelay', orDefault(options.initialDelay, 1000));
    this.step = requireFiniteNonNegative('step', orDefault(options.step, this.initialDelay));
    this.maxDelay = requireFiniteNonNegative('maxDelay', orDefault(options.maxDelay, 30_000));
    this.jitter = requireSimpleJitter(options.jitter);
    this.random = requireFunction<RandomSource>('random', orDefault(options.random, Math.random));
    Object.freeze(this);
  }
  start(random: RandomSource = this.random): BackoffSequence {
    let n = 0;
    const jitter = this.jitter;
    const rand = safeRandom(random);
    return {
      next: () => applyJitter(jitter, clampDelay(this.initialDelay + this.step * n++, this.maxDelay), rand),
    };
  }
}

/**
 * initialDelay, initialDelay + step, initialDelay + 2 step, ... capped at maxDelay, by default without jitter. A
 * number is the initialDelay.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function linear(options?: LinearOptions | number): BackoffBase {
  return new LinearBackoff(typeof options === 'number' ? { initialDelay: options } : optionsOf(options));
}
