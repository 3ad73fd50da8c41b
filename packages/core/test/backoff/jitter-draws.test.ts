import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constant, exponential, isInvalidOptionError, linear } from '../../src/index.js';
import { thrown } from '../support/helpers.js';

/** A random source that returns `draws` in turn. */
function drawing(...draws: number[]): () => number {
  let i = 0;
  return () => draws[i++ % draws.length]!;
}

const drawArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const ceilingArb = fc.double({ min: 0, max: 1e7, noNaN: true });

describe('simple jitter: the delay each draw gives', () => {
  it("'full' waits draw x delay and 'equal' delay/2 + draw x delay/2 (rounded no higher than delay)", () => {
    fc.assert(
      fc.property(ceilingArb, drawArb, (delay, draw) => {
        expect(constant(delay, { jitter: 'full', random: () => draw }).delays(1)).toEqual([draw * delay]);
        expect(constant(delay, { jitter: 'equal', random: () => draw }).delays(1)).toEqual([
          Math.min(delay, delay / 2 + (draw * delay) / 2),
        ]);
      }),
    );
  });

  it('each delay of a sequence takes its own draw, applied to its own un-jittered delay', () => {
    const draws = [0.5, 0.25, 0.75];
    expect(linear({ initialDelay: 100, step: 100, jitter: 'full' }).delays(3, drawing(...draws))).toEqual([
      50, 50, 225,
    ]);
    expect(linear({ initialDelay: 100, step: 100, jitter: 'equal' }).delays(3, drawing(...draws))).toEqual([
      75, 125, 262.5,
    ]);
    expect(
      exponential({ initialDelay: 100, factor: 2, jitter: 'full' }).delays(3, drawing(...draws)),
    ).toEqual([50, 50, 300]);
    expect(
      exponential({ initialDelay: 100, factor: 2, jitter: 'equal' }).delays(3, drawing(...draws)),
    ).toEqual([75, 125, 350]);
  });

  it('a draw of exactly 0 is kept: full jitter may retry at once, equal jitter waits half', () => {
    expect(constant(1_000, { jitter: 'full', random: () => 0 }).delays(2)).toEqual([0, 0]);
    expect(constant(1_000, { jitter: 'equal', random: () => 0 }).delays(2)).toEqual([500, 500]);
    expect(exponential({ initialDelay: 100, jitter: 'full', random: () => 0 }).delays(2)).toEqual([0, 0]);
  });

  it('a draw of 1 or more counts as the largest draw below 1: just under the delay, never the delay itself', () => {
    // 1024 is a power of two: 1024 x (1 - 2^-53) is exactly 1024 - 2^-43, the double just below 1024.
    const below = 1024 - 2 ** -43;
    for (const draw of [1, 1.5, 7, Number.POSITIVE_INFINITY]) {
      expect(constant(1024, { jitter: 'full', random: () => draw }).delays(1)).toEqual([below]);
      expect(linear({ initialDelay: 1024, jitter: 'full' }).delays(1, () => draw)).toEqual([below]);
      expect(exponential({ initialDelay: 1024, jitter: 'full', random: () => draw }).delays(1)).toEqual([
        below,
      ]);
    }
  });

  it('a negative draw counts as 0', () => {
    for (const draw of [-0.5, -1, Number.NEGATIVE_INFINITY]) {
      expect(constant(1_000, { jitter: 'full', random: () => draw }).delays(1)).toEqual([0]);
      expect(constant(1_000, { jitter: 'equal', random: () => draw }).delays(1)).toEqual([500]);
    }
  });

  it('without jitter the random source is never drawn from', () => {
    let draws = 0;
    const counting = () => {
      draws++;
      return 0.5;
    };
    expect(constant(10, { random: counting }).delays(3)).toEqual([10, 10, 10]);
    expect(linear({ initialDelay: 10, random: counting }).delays(3)).toEqual([10, 20, 30]);
    expect(exponential({ initialDelay: 10, jitter: 'none', random: counting }).delays(3)).toEqual([
      10, 20, 40,
    ]);
    expect(draws).toBe(0);
  });

  it('delays(count, random) refuses a random that is not a function, naming it', () => {
    for (const backoff of [constant(1, { jitter: 'full' }), linear(), exponential()]) {
      const error = thrown(() => backoff.delays(2, 0.5 as never));
      expect(isInvalidOptionError(error) && error.option).toBe('random');
    }
  });
});
