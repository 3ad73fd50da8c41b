import { describe, expect, it } from 'vitest';
import { type Backoff, isInvalidOptionError, retry } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

/** A hand-written Backoff whose sequence is `sequence` (whatever it is). */
function custom(sequence: unknown, maxDelay = 1_000): Backoff {
  return { maxDelay, start: () => sequence as never, delays: () => [] };
}

/** The delays retry reports (and the times its attempts start) for a function failing `failures` times. */
async function run(backoff: Backoff, failures = 1) {
  const clock = new VirtualClock();
  const starts: number[] = [];
  const policy = retry({ maxAttempts: failures + 1, backoff, maxDelay: 5_000, clock });
  const delays: number[] = [];
  policy.on('retry', (event) => delays.push(event.delay));
  const result = policy.execute(() => {
    starts.push(clock.now());
    return starts.length <= failures ? Promise.reject(new Error('no')) : Promise.resolve('ok');
  });
  result.catch(() => {});
  await clock.runAll();
  return { delays, starts, result };
}

describe("retry's wait from a custom backoff's sequence", () => {
  it('a delay of 0 retries at once: it is a delay, not a bad value waited as the cap', async () => {
    const { delays, starts, result } = await run(custom({ next: () => 0 }), 2);
    await expect(result).resolves.toBe('ok');
    expect(delays).toEqual([0, 0]);
    expect(starts).toEqual([0, 0, 0]);
  });

  it('a delay of -0 is reported as 0', async () => {
    const { delays } = await run(custom({ next: () => -0 }));
    expect(Object.is(delays[0], 0)).toBe(true);
  });

  it('a delay just below the cap is kept, one at or above it is cut to it', async () => {
    const values = [999.5, 1_000, 1_000.5];
    let i = 0;
    const { delays } = await run(custom({ next: () => values[i++] }), 3);
    expect(delays).toEqual([999.5, 1_000, 1_000]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 5],
    ['an object without next()', {}],
    ['an object whose next is not a function', { next: 5 }],
  ])('start() returning %s rejects with InvalidOptionError naming backoff', async (_name, sequence) => {
    const { result, starts } = await run(custom(sequence));
    const error = await result.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(isInvalidOptionError(error) && error.option).toBe('backoff');
    expect((error as Error).message).toContain('start() returned');
    expect((error as Error).message).toContain('expected a sequence with a next() method');
    expect(starts).toEqual([0]);
  });
});
