import {
  optionsOf,
  orDefault,
  requireAtLeast,
  requireFiniteNonNegative,
  requireFunction,
  requireOneOf,
} from '../internal/validate.js';
import { BackoffBase, type BackoffSequence, clampDelay, type RandomSource, safeRandom } from './backoff.js';
import { applyJitter } from './jitter.js';

/**
 * How an exponential backoff randomises its delays: 'none' (the exact growth), 'full' (uniform in [0, delay]),
 * 'equal' (delay/2 plus uniform in [0, delay/2]) or 'decorrelated' (the default: Polly's decorrelated jitter V2,
 * growing smoothly by `factor` with the first delay's median at `initialDelay`).
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

/** Options of {@link exponential}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface ExponentialOptions {
  /** Base delay (ms): the first delay without jitter, the median first delay with decorrelated jitter. Default 200. */
  readonly initialDelay?: number;
  /** Cap for every delay (ms); an initialDelay above it yields maxDelay. Default 30 000. */
  readonly maxDelay?: number;
  /** Growth per retry. Default 2. Must be >= 1. */
  readonly factor?: number;
  /** Default 'decorrelated'. */
  readonly jitter?: Jitter;
  /** Random source for jitter. Default Math.random. */
  readonly random?: RandomSource;
}

const JITTERS: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];

/** Polly's DecorrelatedJitterBackoffV2 constants: tanh(sqrt(P * t)) shaping and the 1/1.4 median scaling. */
const P_FACTOR = 4;
const RP_SCALING = 1 / 1.4;
/** Beyond this exponent the curve is far past any cap (and 2^t would overflow): stay on the cap. */
const MAX_EXPONENT = 1000;

class ExponentialBackoff extends BackoffBase {
  declare readonly initialDelay: number;
  declare readonly maxDelay: number;
  declare readonly factor: number;
  declare readonly jitter: Jitter;
  declare readonly random: RandomSource;

  constructor(options: ExponentialOptions) {
    super();
    this.initialDelay = requireFiniteNonNegative('initialDelay', orDefault(options.initialDelay, 200));
    this.maxDelay = requireFiniteNonNegative('maxDelay', orDefault(options.maxDelay, 30_000));
    this.factor = requireAtLeast('factor', orDefault(options.factor, 2), 1);
    this.jitter = requireOneOf('jitter', orDefault(options.jitter, 'decorrelated'), JITTERS);
    this.random = requireFunction<RandomSource>('random', orDefault(options.random, Math.random));
    Object.freeze(this);
  }

  /** Un-jittered delay of the n-th retry (0-based), capped. */
  ceiling(n: number): number {
    return clampDelay(this.initialDelay * this.factor ** n, this.maxDelay);
  }

  start(random: RandomSource = this.random): BackoffSequence {
    const rand = safeRandom(random);
    const max = this.maxDelay;
    let n = 0;
    const jitter = this.jitter;
    // none, full and equal: the capped exponential ceiling, jittered the way linear and constant are.
    if (jitter !== 'decorrelated') return { next: () => applyJitter(jitter, this.ceiling(n++), rand) };
    let prev = 0;
    let capped = false;
    return {
      next: () => {
        if (capped) return max;
        const t = n++ + rand();
        // t only grows: every later delay returns here too.
        if (t > MAX_EXPONENT) return max;
        const next = this.factor ** t * Math.tanh(Math.sqrt(P_FACTOR * t));
        const delay = (next - prev) * RP_SCALING * this.initialDelay;
        prev = next;
        if (!(delay < max)) capped = true;
        return clampDelay(delay, max);
      },
    };
  }
}

/**
 * Exponential backoff, by default with decorrelated jitter (200 ms median first delay, 30 s cap).
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function exponential(options?: ExponentialOptions): BackoffBase & {
  /** The jitter in force: {@link ExponentialOptions.jitter} (default 'decorrelated'). */
  readonly jitter: Jitter;
} {
  return new ExponentialBackoff(optionsOf(options));
}

export type { ExponentialBackoff };
