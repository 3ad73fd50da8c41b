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

/** Shared `delays` implementation. */
export abstract class BackoffBase implements Backoff {
  abstract readonly maxDelay: number;
  abstract start(random?: RandomSource): BackoffSequence;

  delays(count: number, random?: RandomSource): number[] {
    const sequence = this.start(random);
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
