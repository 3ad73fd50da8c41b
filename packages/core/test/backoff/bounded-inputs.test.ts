import { describe, expect, it } from 'vitest';
import { constant, exponential, isInvalidOptionError, linear, listBackoff, retry } from '../../src/index.js';
import { seededRandom } from '../../src/testing.js';
import { thrown } from '../support/helpers.js';

/** A random source that returns `draws` in turn. */
function drawing(...draws: number[]): () => number {
  let i = 0;
  return () => draws[i++ % draws.length]!;
}

describe('decorrelated jitter at its cap', () => {
  it('a delay that lands exactly on maxDelay keeps every later delay on it', () => {
    // Draws 0.99 then 0: the second step of the curve is tiny, so uncapped it would fall far below the first.
    const [first, second] = exponential({ initialDelay: 1_000, maxDelay: 1e9 }).delays(2, drawing(0.99, 0));
    expect(second!).toBeLessThan(first! / 10);
    const capped = exponential({ initialDelay: 1_000, maxDelay: first! }).delays(4, drawing(0.99, 0));
    expect(capped).toEqual([first, first, first, first]);
  });

  it('a delay just below maxDelay does not cap the sequence', () => {
    const [first, second] = exponential({ initialDelay: 1_000, maxDelay: 1e9 }).delays(2, drawing(0.99, 0));
    const below = exponential({ initialDelay: 1_000, maxDelay: first! + 1 }).delays(2, drawing(0.99, 0));
    expect(below).toEqual([first, second]);
  });
});

describe('decorrelated jitter past the largest number', () => {
  it('the curve grows until initialDelay x factor^n overflows, then every delay is maxDelay', () => {
    // A cap so high the curve has not reached it by then: with draws of 0, the n-th delay's exponent is n.
    const delays = exponential({ initialDelay: 1, maxDelay: 1e308, random: () => 0 }).delays(1_040);
    const firstCap = delays.indexOf(1e308);
    // 2^1023 / 1.4 is the last power of two under the largest double.
    expect(firstCap).toBeGreaterThan(1_020);
    for (let i = 1; i < firstCap; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);
    expect(delays.slice(firstCap).every((d) => d === 1e308)).toBe(true);
  });

  it('an initialDelay of 0 stays 0, however many retries', () => {
    const delays = exponential({ initialDelay: 0, random: seededRandom(5) }).delays(1_100);
    expect(delays.every((d) => d === 0)).toBe(true);
  });
});

describe('backoffs are immutable values', () => {
  it('every built-in backoff is frozen', () => {
    for (const backoff of [constant(1), linear(), exponential(), listBackoff([1, 2])]) {
      expect(Object.isFrozen(backoff)).toBe(true);
    }
  });

  it("linear's random is checked under its own name", () => {
    const error = thrown(() => linear({ random: 'dice' as never }));
    expect(isInvalidOptionError(error) && error.option).toBe('random');
  });

  it('a backoff option without start() is refused, saying what is expected', () => {
    const error = thrown(() => retry({ backoff: { next: () => 1 } as never }));
    expect(isInvalidOptionError(error) && error.message).toBe(
      'Invalid option "backoff": expected a Backoff such as exponential() (start), got an object with no start() method',
    );
  });
});

describe('listBackoff: how long a list may be', () => {
  it('takes a list of 100 000 delays', () => {
    const list = Array.from({ length: 100_000 }, (_, i) => i);
    const backoff = listBackoff(list);
    expect(backoff.maxDelay).toBe(99_999);
    expect(backoff.delays(3)).toEqual([0, 1, 2]);
  });

  it('refuses 100 001 delays (and an empty list) with InvalidOptionError naming delays and the bounds', () => {
    for (const delays of [Array.from({ length: 100_001 }, () => 1), []]) {
      const error = thrown(() => listBackoff(delays));
      expect(isInvalidOptionError(error) && error.option).toBe('delays');
      expect((error as Error).message).toContain('expected an array of 1 to 100000 delays (ms), got');
    }
  });

  it('a list whose largest delay is not its last still declares that largest delay as maxDelay', () => {
    expect(listBackoff([5, 50, 20]).maxDelay).toBe(50);
    expect(listBackoff([0, 0]).maxDelay).toBe(0);
  });
});
