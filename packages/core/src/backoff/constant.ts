import { optionsOf, orDefault, requireFiniteNonNegative, requireFunction } from '../internal/validate.js';
import { BackoffBase, type BackoffSequence, type RandomSource, safeRandom } from './backoff.js';
import { applyJitter, requireSimpleJitter, type SimpleJitter } from './jitter.js';

/** Options of {@link constant}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface ConstantOptions {
  /**
   * How each delay is randomised: 'none' (default: always `delay`), 'full' (uniform in [0, delay]) or 'equal'
   * (uniform in [delay/2, delay]), so clients that failed together do not retry together.
   */
  readonly jitter?: SimpleJitter;
  /** Random source for jitter. Default `Math.random` (retry's `random` option, when set, takes precedence). */
  readonly random?: RandomSource;
}

class ConstantBackoff extends BackoffBase {
  declare readonly maxDelay: number;
  declare readonly jitter: SimpleJitter;
  declare readonly random: RandomSource;
  constructor(delay: number, options: ConstantOptions) {
    super();
    this.maxDelay = requireFiniteNonNegative('delay', delay);
    this.jitter = requireSimpleJitter(options.jitter);
    this.random = requireFunction<RandomSource>('random', orDefault(options.random, Math.random));
    Object.freeze(this);
  }
  start(random: RandomSource = this.random): BackoffSequence {
    const delay = this.maxDelay;
    const jitter = this.jitter;
    const rand = safeRandom(random);
    return { next: () => applyJitter(jitter, delay, rand) };
  }
}

/**
 * The same delay before every retry (a finite number of ms >= 0), by default without jitter.
 * @throws {@link InvalidOptionError} when `delay` is not a finite number >= 0, or naming an invalid option.
 */
export function constant(delay: number, options?: ConstantOptions): BackoffBase {
  return new ConstantBackoff(delay, optionsOf(options));
}
