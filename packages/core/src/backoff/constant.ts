import { requireFiniteNonNegative } from '../internal/validate.js';
import { BackoffBase, type BackoffSequence } from './backoff.js';

class ConstantBackoff extends BackoffBase {
  readonly maxDelay: number;
  constructor(delay: number) {
    super();
    this.maxDelay = requireFiniteNonNegative('delay', delay);
    Object.freeze(this);
  }
  start(): BackoffSequence {
    const delay = this.maxDelay;
    return { next: () => delay };
  }
}

/**
 * The same delay before every retry (a finite number of ms >= 0).
 * @throws {@link InvalidOptionError} when `delay` is not a finite number >= 0.
 */
export function constant(delay: number): BackoffBase {
  return new ConstantBackoff(delay);
}
