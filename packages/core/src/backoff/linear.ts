import { optionsOf, orDefault, requireFiniteNonNegative } from '../internal/validate.js';
import { BackoffBase, type BackoffSequence, clampDelay } from './backoff.js';

/** Options of {@link linear}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface LinearOptions {
  /** Delay before the first retry (ms). Default 1000. */
  readonly initialDelay?: number;
  /** Added for each further retry (ms). Default: initialDelay. */
  readonly step?: number;
  /** Cap for every delay (ms), like exponential's: a larger initialDelay yields maxDelay. Default 30 000. */
  readonly maxDelay?: number;
}

class LinearBackoff extends BackoffBase {
  readonly initialDelay: number;
  readonly step: number;
  readonly maxDelay: number;
  constructor(options: LinearOptions) {
    super();
    this.initialDelay = requireFiniteNonNegative('initialDelay', orDefault(options.initialDelay, 1000));
    this.step = requireFiniteNonNegative('step', orDefault(options.step, this.initialDelay));
    this.maxDelay = requireFiniteNonNegative('maxDelay', orDefault(options.maxDelay, 30_000));
    Object.freeze(this);
  }
  start(): BackoffSequence {
    let n = 0;
    return { next: () => clampDelay(this.initialDelay + this.step * n++, this.maxDelay) };
  }
}

/**
 * initialDelay, initialDelay + step, initialDelay + 2 step, ... capped at maxDelay. A number is the initialDelay.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function linear(options?: LinearOptions | number): BackoffBase {
  return new LinearBackoff(typeof options === 'number' ? { initialDelay: options } : optionsOf(options));
}
