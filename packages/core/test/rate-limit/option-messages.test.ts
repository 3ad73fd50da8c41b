/** What each bad rate-limit option, limit and call argument is told: the option's path and the exact message. */
import { describe, expect, it } from 'vitest';
import {
  isInvalidOptionError,
  isRateLimitCostError,
  RateLimitCostError,
  rateLimit,
  slidingWindow,
  smooth,
  tokenBucket,
} from '../../src/index.js';
import { thrown } from '../support/helpers.js';

/** `[option, message]` of what `make` throws (an InvalidOptionError, else the test fails). */
function refusal(make: () => unknown): [string, string] {
  const error = thrown(make);
  expect(isInvalidOptionError(error)).toBe(true);
  return [(error as { option: string }).option, (error as Error).message];
}

const bucket = tokenBucket({ rate: 10 });
const window = slidingWindow({ limit: 1, window: 100 });

describe('rateLimit option messages', () => {
  it.each([
    [() => rateLimit(undefined as never), 'options', 'expected an options object with limits, got undefined'],
    [
      () => rateLimit({ limits: [] }),
      'limits',
      'expected a limit (tokenBucket, smooth, slidingWindow) or a non-empty array of them, got an array',
    ],
    [
      () => rateLimit({ limits: null as never }),
      'limits',
      'expected a limit (tokenBucket, smooth, slidingWindow) or a non-empty array of them, got null',
    ],
    [() => rateLimit({ limits: bucket, key: 5 as never }), 'key', 'expected a string or a function, got 5'],
    [
      () => rateLimit({ limits: bucket, cost: 'x' as never }),
      'cost',
      'expected a finite number >= 0 or a record of them per unit, got "x"',
    ],
    [
      () => rateLimit({ limits: bucket, cost: [1] as never }),
      'cost',
      'expected a finite number >= 0 or a record of them per unit, got an array',
    ],
    [
      () => rateLimit({ limits: bucket, cost: { tokens: -1 } }),
      'cost.tokens',
      'expected a finite number >= 0, got -1',
    ],
    [
      () => rateLimit({ limits: [5 as never] }),
      'limits[0]',
      'expected a limit (tokenBucket, smooth, slidingWindow), got 5',
    ],
    [
      () => rateLimit({ limits: [bucket, { kind: 'x' } as never] }),
      'limits[1]',
      'expected a limit made by tokenBucket, smooth or slidingWindow',
    ],
    [
      () => rateLimit({ limits: [{ ...window, granule: 5 }] }),
      'limits[0].granule',
      'expected window / segments',
    ],
  ])('%#', (make, option, message) => {
    expect(refusal(make)).toEqual([option, `Invalid option "${option}": ${message}`]);
  });

  it('a fixed cost no limit could ever hold is a RateLimitCostError naming the limit, the cost and the capacity', () => {
    const error = thrown(() => rateLimit({ limits: bucket, cost: 11 }));
    expect(error).toBeInstanceOf(RateLimitCostError);
    expect(isRateLimitCostError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'RateLimitCostError',
      option: 'cost',
      limit: '10 cost/s',
      cost: 11,
      capacity: 10,
    });
    expect((error as Error).message).toBe(
      'Invalid option "cost": 11 exceeds the capacity 10 of limit "10 cost/s", so it could never be admitted',
    );
    for (const value of [undefined, null, 'cost', new Error('x'), { cost: 11 }]) {
      expect(isRateLimitCostError(value)).toBe(false);
    }
    // A record's cost for a unit no limit counts is not checked against any capacity.
    expect(() => rateLimit({ limits: bucket, cost: { images: 99 } })).not.toThrow();
  });
});

describe('pause and setLimits argument messages', () => {
  const policy = rateLimit({ limits: bucket });

  it.each([
    [() => policy.pause(-1), 'pause', 'expected a finite number of ms >= 0, got -1'],
    [() => policy.pause(1, { key: 5 as never }), 'key', 'expected a string, got 5'],
    [() => policy.setLimits([bucket, bucket]), 'limits', 'expected 1 limit(s) as before, got an array'],
    [() => policy.setLimits(undefined as never), 'limits', 'expected 1 limit(s) as before, got undefined'],
    [
      () => policy.setLimits(window),
      'limits[0]',
      'expected the kind, unit and window of the limit it replaces',
    ],
    [
      () => policy.setLimits(tokenBucket({ rate: 1, unit: 'tokens' })),
      'limits[0]',
      'expected the kind, unit and window of the limit it replaces',
    ],
  ])('%#', (make, option, message) => {
    expect(refusal(make)).toEqual([option, `Invalid option "${option}": ${message}`]);
  });

  it('a window limit may change its limit, not its window or segments', () => {
    const limiter = rateLimit({ limits: slidingWindow({ limit: 5, window: 1_000, segments: 10 }) });
    limiter.setLimits(slidingWindow({ limit: 50, window: 1_000, segments: 10 }));
    expect(limiter.limits[0]!.capacity).toBe(50);
    for (const other of [
      slidingWindow({ limit: 5, window: 2_000, segments: 10 }),
      slidingWindow({ limit: 5, window: 1_000, segments: 5 }),
    ]) {
      expect(refusal(() => limiter.setLimits(other))[0]).toBe('limits[0]');
    }
  });
});

describe('default limit names', () => {
  it('name the rate, the unit and the period, in the largest whole unit of time', () => {
    expect(tokenBucket({ rate: 5, per: 1_000 }).name).toBe('5 cost/s');
    expect(tokenBucket({ rate: 5, per: 60_000 }).name).toBe('5 cost/min');
    expect(tokenBucket({ rate: 5, per: 3_600_000, unit: 'tokens' }).name).toBe('5 tokens/h');
    expect(smooth({ rate: 5, per: 86_400_000 }).name).toBe('5 cost/day smooth');
    expect(tokenBucket({ rate: 5, per: 1_500 }).name).toBe('5 cost/1500ms');
    expect(slidingWindow({ limit: 3, window: 250 }).name).toBe('3 cost/250ms');
  });
});
