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

/**
 * Polly's V2 curve at factor 2, `2^t * tanh(sqrt(4t))`, divided by 2^n for t = n + u (u in [0, 1)): the n-th
 * retry's jitter without its growth, so it never overflows. The growth is applied as `factor^n` apart: the V2
 * formula itself (`factor^t` in place of 2^t) holds only near factor 2: its steps scale with `factor - 1` and
 * shrink to 0 as the factor nears 1.
 */
function shape(n: number, u: number): number {
  return 2 ** u * Math.tanh(Math.sqrt(P_FACTOR * (n + u)));
}

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
    const factor = this.factor;
    // With no growth (factor 1) a delay at the cap says nothing of the next one; with growth, it stays there.
    const sticky = factor > 1;
    let prev = 0;
    let capped = false;
    // initialDelay / 1.4 * factor^n, by multiplication: it reaches Infinity (then the cap) but stays 0 from 0.
    let scale = this.initialDelay * RP_SCALING;
    return {
      next: () => {
        if (capped) return max;
        const curve = shape(n++, rand());
        // The step of Polly's curve at factor 2 (next - prev), scaled to 2^n, times this backoff's growth.
        const delay = (curve - prev) * scale;
        prev = curve / 2;
        scale *= factor;
        if (sticky && !(delay < max)) capped = true;
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
