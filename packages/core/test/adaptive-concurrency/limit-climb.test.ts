/**
 * How the limit climbs after a decrease: back to a level it reached but did not pass as fast as the first time
 * (only a level passed is an overshoot), past the level with a probe that speeds up round trip after round trip,
 * and back towards an overshoot by exactly one slot per round trip below ten slots.
 */
import { describe, expect, it } from 'vitest';
import { LimitController } from '../../src/adaptive-concurrency/limit-controller.js';
import { adaptiveConcurrency } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { timedWork as work } from '../support/helpers.js';

const overloaded = () => Object.assign(new Error('503 Service Unavailable'), { status: 503 });

/** A limiter and one round trip: floor(limit) 10 ms calls sent at once, all refused with `error` if given. */
function limiter(options: { initialLimit: number; maxLimit?: number }) {
  const clock = new VirtualClock();
  const policy = adaptiveConcurrency({ ...options, clock });
  const roundTrip = async (error?: unknown): Promise<number> => {
    const calls = Array.from({ length: Math.floor(policy.limit) }, () =>
      policy.execute(work(clock, 10, error === undefined ? {} : { error })).catch(() => undefined),
    );
    await clock.runAll();
    await Promise.all(calls);
    return policy.limit;
  };
  return { policy, roundTrip, clock };
}

describe('adaptiveConcurrency: the climb after a decrease', () => {
  it('climbs back from a second decrease at a level it reached but did not pass as fast as from the first', async () => {
    const { policy, roundTrip, clock } = limiter({ initialLimit: 8, maxLimit: 8 });
    expect(await roundTrip(overloaded())).toBe(4);
    const firstClimb = await roundTrip();
    expect(firstClimb).toBeGreaterThan(5);
    // Back up to 8 exactly (maxLimit), the level of that decrease: reached, not passed.
    for (let round = 0; round < 100 && policy.limit < 8; round++) await roundTrip();
    expect(policy.limit).toBe(8);
    expect(await roundTrip(overloaded())).toBe(4);
    // Not an overshoot: the same binary search as the first time, not the additive climb (one slot per round
    // trip at most, which would stay below 5).
    expect(await roundTrip()).toBe(firstClimb);
    expect(clock.pendingTimers).toBe(0);
  });

  it('past the level of the last decrease, probes faster round trip after round trip, by more than a slot soon', async () => {
    const { policy, roundTrip } = limiter({ initialLimit: 8 });
    expect(await roundTrip(overloaded())).toBe(4);
    for (let round = 0; round < 100 && policy.limit <= 8; round++) await roundTrip();
    expect(policy.limit).toBeGreaterThan(8);
    const climbs: number[] = [];
    let before = policy.limit;
    for (let round = 0; round < 10; round++) {
      const after = await roundTrip();
      climbs.push(after - before);
      // At most half the limit per round trip.
      expect(after - before).toBeLessThanOrEqual(before / 2);
      before = after;
    }
    for (let i = 1; i < climbs.length; i++) expect(climbs[i]).toBeGreaterThan(climbs[i - 1]!);
    // A creep (0.1 per round trip) or a probe capped at one slot per round trip would not get there.
    expect(climbs.at(-1)).toBeGreaterThan(1);
  });

  it('at the level of the last decrease, creeps by 0.1 per round trip, even from a limit below 0.1', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 0.05, minLimit: 0.05, initialRtt: 10, clock });
    const refused = policy.execute(work(clock, 0, { error: overloaded() })).catch(() => undefined);
    await clock.runAll();
    await refused;
    // Refused at the floor: the limit stays there, and that is now the level of the last decrease.
    expect(policy.limit).toBe(0.05);
    const call = policy.execute(work(clock, 10));
    await clock.runAll();
    await call;
    // One success brings 1 / limit round trips' worth of the 0.1 creep: + 0.1 / 0.05.
    expect(policy.limit).toBeCloseTo(2.05, 12);
  });
});

describe('LimitController: the climb back towards an overshoot', () => {
  it('is one slot per round trip below ten slots: each success of a round trip in use adds 1 / limit', () => {
    const controller = new LimitController({
      initialLimit: 8,
      minLimit: 0.1,
      maxLimit: 1000,
      backoffRatio: 0.5,
      initialRtt: 10,
    });
    const roundTrip = () => {
      for (let i = controller.slots; i > 0; i--) controller.succeeded(10, controller.slots);
    };
    controller.overloaded(controller.epoch, 8);
    // Probe past 8, the level of that decrease, then get refused there: an overshoot.
    for (let round = 0; round < 100 && controller.limit <= 8; round++) roundTrip();
    expect(controller.limit).toBeGreaterThan(8);
    controller.overloaded(controller.epoch, controller.slots);
    const low = controller.limit;
    expect(low).toBe(4);
    // The gap to the overshoot (over 4) would allow two slots and more; a tenth of the limit would be 0.4.
    let expected = low;
    for (let i = Math.floor(low); i > 0; i--) expected += 1 / expected;
    roundTrip();
    expect(controller.limit).toBeCloseTo(expected, 12);
    expect(controller.limit - low).toBeGreaterThan(0.9);
  });
});
