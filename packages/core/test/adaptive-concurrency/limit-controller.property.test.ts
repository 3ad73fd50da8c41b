import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitController, type LimitSettings } from '../../src/adaptive-concurrency/limit-controller.js';
import { ServiceTime } from '../../src/adaptive-concurrency/service-time.js';

/** Valid settings, as the options validation would let them through. */
const settings: fc.Arbitrary<LimitSettings> = fc
  .record({
    minLimit: fc.constantFrom(0.1, 0.25, 0.5, 1, 2.5),
    maxLimit: fc.integer({ min: 3, max: 200 }),
    initialShare: fc.double({ min: 0, max: 1, noNaN: true }),
    backoffRatio: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
    initialRtt: fc.integer({ min: 1, max: 5_000 }),
  })
  .map(({ minLimit, maxLimit, initialShare, backoffRatio, initialRtt }) => ({
    minLimit,
    maxLimit,
    initialLimit: minLimit + (maxLimit - minLimit) * initialShare,
    backoffRatio,
    initialRtt,
  }));

/** What happens to the controller, with its inputs relative to the state it is in. */
type Step =
  /** A success that took `sample` ms, sent with `use` x limit slots taken (at least its own). */
  | { readonly kind: 'success'; readonly sample: number; readonly use: number }
  /** A round trip: floor(limit) successes (at least one), each sent with the limit's slots all taken. */
  | { readonly kind: 'roundTrip'; readonly sample: number }
  /**
   * An overload with `use` x limit slots taken, then round trips until the limit passes the level of that decrease
   * (a probe), or cannot; then, if `refused`, an overload at full use (the probe overshot).
   */
  | { readonly kind: 'probe'; readonly sample: number; readonly use: number; readonly refused: boolean }
  /** An overload signal from a call sent `age` epochs ago (0: the current one), `use` x limit slots taken now. */
  | { readonly kind: 'overload'; readonly age: number; readonly use: number };

const sample = fc.integer({ min: 0, max: 10_000 });
// Mostly round trips at full use, as a loaded client sees them, and probes past the last decrease's level followed
// by overloads, so that climbs back towards an overshoot are reached often.
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('success' as const),
      sample,
      use: fc.double({ min: 0, max: 2, noNaN: true }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('roundTrip' as const), sample }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('probe' as const),
      sample,
      use: fc.double({ min: 0, max: 1, noNaN: true }),
      refused: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('overload' as const),
      age: fc.constantFrom(0, 0, 0, 1, 3),
      use: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 2, noNaN: true })),
    }),
  },
);
const steps = fc.array(step, { maxLength: 60 });

/**
 * Plays steps on a controller and lists every broken invariant. It keeps the documented state of the climb from
 * the limits it sees: the level of the last decrease (Infinity before any) and whether that decrease refused an
 * overshoot (a level above the one before).
 */
class Checker {
  readonly problems: string[] = [];
  private level = Number.POSITIVE_INFINITY;
  private overshot = false;
  /** Round trips checked while climbing back towards an overshoot level. */
  overshootClimbs = 0;

  constructor(
    private readonly controller: LimitController,
    private readonly config: LimitSettings,
  ) {}

  play(s: Step): void {
    const epoch = this.controller.epoch;
    if (s.kind === 'overload') this.overload(s.age, s.use);
    else if (s.kind === 'success')
      this.success(s.sample, Math.max(1, Math.round(s.use * this.controller.limit)));
    else if (s.kind === 'roundTrip') this.roundTrip(s.sample);
    else {
      const { controller, config } = this;
      this.overload(0, s.use);
      for (let i = 0; i < 200 && controller.limit <= this.level && controller.limit < config.maxLimit; i++)
        this.roundTrip(s.sample);
      if (s.refused) this.overload(0, 1);
    }
    if ((s.kind === 'success' || s.kind === 'roundTrip') && this.controller.epoch !== epoch)
      this.problems.push('a success changed the epoch');
    const limit = this.controller.limit;
    if (!(limit >= this.config.minLimit && limit <= this.config.maxLimit))
      this.problems.push(`limit ${limit} out of bounds`);
    if (this.controller.slots !== Math.max(1, Math.floor(limit)))
      this.problems.push(`slots ${this.controller.slots}`);
  }

  private overload(age: number, use: number): void {
    const { controller, config, problems } = this;
    const before = controller.limit;
    const epoch = controller.epoch;
    const inUse = Math.round(use * before);
    const decreased = controller.overloaded(epoch - age, inUse);
    if (controller.limit > before) problems.push(`an overload raised ${before} to ${controller.limit}`);
    if (age > 0) {
      if (decreased || controller.limit !== before || controller.epoch !== epoch)
        problems.push('an overload from an older epoch changed something');
      return;
    }
    if (!decreased || controller.epoch !== epoch + 1) problems.push('an overload did not start an epoch');
    const expected = Math.max(config.minLimit, Math.min(before, inUse) * config.backoffRatio);
    if (controller.limit !== expected) problems.push(`decrease to ${controller.limit}, expected ${expected}`);
    this.overshot = before > this.level;
    this.level = before;
  }

  private success(sample: number, inUse: number): void {
    const { controller, config, problems } = this;
    const limit = controller.limit;
    controller.succeeded(sample, inUse);
    const after = controller.limit;
    if (after < limit) problems.push(`a success lowered ${limit} to ${after}`);
    if (inUse < limit / 2 && after !== limit) problems.push(`an idle limit ${limit} moved to ${after}`);
    if (inUse >= limit / 2 && limit < config.maxLimit && !(after > limit))
      problems.push(`a limit in use (${limit}) did not grow`);
    if (
      this.level === Number.POSITIVE_INFINITY &&
      inUse >= limit / 2 &&
      after !== Math.min(config.maxLimit, limit + 1)
    )
      problems.push(`slow start went from ${limit} to ${after}, not +1`);
  }

  private roundTrip(sample: number): void {
    const { controller, problems } = this;
    const before = controller.limit;
    for (let i = Math.max(1, Math.floor(before)); i > 0; i--) this.success(sample, controller.slots);
    const climbed = controller.limit - before;
    if (before < 1) return;
    if (controller.limit < this.level) {
      // Below the level of the last decrease all the way: a binary search, half the gap per round trip (or the
      // creep near it), and towards an overshoot at most one slot (a tenth of the limit above 10 slots).
      const halfGap = Math.max(0.1, (this.level - before) / 2);
      if (climbed > halfGap + 1e-9)
        problems.push(`climbed ${climbed} from ${before}, over half the gap ${halfGap}`);
      if (this.overshot) {
        this.overshootClimbs++;
        const additive = Math.max(1, before / 10);
        if (climbed > additive + 1e-9)
          problems.push(`climbed ${climbed} from ${before} towards an overshoot, over ${additive}`);
      }
    } else if (before >= this.level) {
      // Past the level, a probe: at most half the limit (or one slot) per round trip.
      const probe = Math.max(1, before / 2);
      if (climbed > probe + 1e-9) problems.push(`a probe from ${before} climbed ${climbed}`);
    }
  }
}

describe('LimitController (pure)', () => {
  it('keeps the limit in [minLimit, maxLimit]; overloads never raise it, successes never lower it; one decrease per epoch; the climbs stay within their documented pace', () => {
    let overshootClimbs = 0;
    fc.assert(
      fc.property(settings, steps, (config, plan) => {
        const controller = new LimitController(config);
        expect(controller.limit).toBe(config.initialLimit);
        const checker = new Checker(controller, config);
        for (const s of plan) {
          checker.play(s);
          if (checker.problems.length > 0) break;
        }
        overshootClimbs += checker.overshootClimbs;
        expect(checker.problems).toEqual([]);
      }),
      { numRuns: 500 },
    );
    // The runs did reach the climb back towards an overshoot (the rarest state).
    expect(overshootClimbs).toBeGreaterThan(100);
  });

  it('climbs back towards an overshoot level at most one slot per round trip, where halving the gap would be faster', () => {
    // The documented example: a decrease from 8 to 4, a probe past 8 refused (an overshoot), then the climb back.
    const controller = new LimitController({
      initialLimit: 8,
      minLimit: 0.1,
      maxLimit: 1000,
      backoffRatio: 0.5,
      initialRtt: 10,
    });
    const roundTrip = () => {
      for (let i = Math.max(1, Math.floor(controller.limit)); i > 0; i--)
        controller.succeeded(10, controller.slots);
      return controller.limit;
    };
    controller.overloaded(controller.epoch, 8);
    expect(controller.limit).toBe(4);
    // Not an overshoot: the first round trip closes about half the gap to 8.
    expect(roundTrip()).toBeGreaterThan(5);
    while (controller.limit <= 8) roundTrip();
    const overshoot = controller.limit;
    controller.overloaded(controller.epoch, Math.floor(overshoot));
    const low = controller.limit;
    expect(low).toBe(Math.floor(overshoot) * 0.5);
    let before = low;
    for (let round = 0; round < 3; round++) {
      const after = roundTrip();
      expect(after - before).toBeGreaterThan(0);
      expect(after - before).toBeLessThanOrEqual(1);
      before = after;
    }
  });

  it('holds a refused call’s slot for the rest of a service time, and paces by service time / limit', () => {
    fc.assert(
      fc.property(settings, fc.array(sample, { maxLength: 10 }), sample, (config, samples, elapsed) => {
        const controller = new LimitController(config);
        expect(controller.holdFor(elapsed)).toBe(config.initialRtt - elapsed);
        expect(controller.paceInterval).toBe(config.initialRtt / controller.limit);
        for (const s of samples) controller.succeeded(s, 0);
        const serviceTime = controller.serviceTime.current;
        expect(controller.holdFor(elapsed)).toBe(serviceTime - elapsed);
        expect(controller.paceInterval).toBe(serviceTime / controller.limit);
        // Idle successes (nothing in use) taught the service time and left the limit alone.
        expect(controller.limit).toBe(config.initialLimit);
      }),
    );
  });
});

describe('ServiceTime (pure)', () => {
  it('stays within the range of its samples, with a deviation within the samples’ spread (or half the first)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.double({ min: 0, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 100 }),
        (initial, samples) => {
          const estimate = new ServiceTime(initial);
          expect(estimate.smoothed).toBeUndefined();
          expect(estimate.current).toBe(initial);
          expect(estimate.likely).toBe(0);
          let low = Number.POSITIVE_INFINITY;
          let high = Number.NEGATIVE_INFINITY;
          for (const s of samples) {
            estimate.record(s);
            low = Math.min(low, s);
            high = Math.max(high, s);
            const smoothed = estimate.smoothed!;
            const tolerance = 1e-9 * high;
            expect(smoothed).toBeGreaterThanOrEqual(low - tolerance);
            expect(smoothed).toBeLessThanOrEqual(high + tolerance);
            expect(estimate.current).toBe(smoothed);
            expect(estimate.deviation).toBeGreaterThanOrEqual(0);
            expect(estimate.deviation).toBeLessThanOrEqual(Math.max(samples[0]! / 2, high - low) + tolerance);
            expect(estimate.likely).toBe(smoothed + 2 * estimate.deviation);
          }
        },
      ),
    );
  });

  it('settles on a steady service time exactly, its deviation shrinking by a quarter per sample', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 50 }), (duration, count) => {
        const estimate = new ServiceTime(1_000);
        let deviation = Number.POSITIVE_INFINITY;
        for (let i = 0; i < count; i++) {
          estimate.record(duration);
          expect(estimate.smoothed).toBe(duration);
          expect(estimate.deviation).toBeLessThanOrEqual(deviation);
          deviation = estimate.deviation;
        }
        expect(deviation).toBeCloseTo((duration / 2) * 0.75 ** (count - 1), 9);
      }),
    );
  });
});
