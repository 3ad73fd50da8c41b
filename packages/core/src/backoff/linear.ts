import { InvalidOptionError } from '../errors.js';
import { requireFiniteNonNegative } from '../internal/validate.js';
import { BackoffBase, type BackoffSequence, clampDelay } from './backoff.js';

export interface LinearOptions {
  /** Delay before the first retry (ms). Default 1000. */
  readonly initialDelay?: number;
  /** Added for each further retry (ms). Default: initialDelay. */
  readonly step?: number;
  /** Cap (ms). Default 30 000. */
  readonly maxDelay?: number;
}

class LinearBackoff extends BackoffBase {
  readonly initialDelay: number;
  readonly step: number;
  readonly maxDelay: number;
  constructor(options: LinearOptions) {
    super();
    this.initialDelay = requireFiniteNonNegative('initialDelay', options.initialDelay ?? 1000);
    this.step = requireFiniteNonNegative('step', options.step ?? this.initialDelay);
    this.maxDelay = requireFiniteNonNegative('maxDelay', options.maxDelay ?? 30_000);
    if (this.initialDelay > this.maxDelay) {
      throw new InvalidOptionError('initialDelay', `must not exceed maxDelay (${this.maxDelay})`);
    }
    Object.freeze(this);
  }
  start(): BackoffSequence {
    let n = 0;
    return { next: () => clampDelay(this.initialDelay + this.step * n++, this.maxDelay) };
  }
}

/** initialDelay, initialDelay + step, initialDelay + 2 step, ... capped at maxDelay. */
export function linear(options: LinearOptions | number = {}): BackoffBase {
  return new LinearBackoff(typeof options === 'number' ? { initialDelay: options } : options);
}
