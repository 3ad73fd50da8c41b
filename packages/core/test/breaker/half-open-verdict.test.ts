/**
 * The half-open verdict over N probes (options halfOpenSuccessThreshold / halfOpenFailureRatio): the circuit closes
 * at the threshold of successes and reopens once the failures make it unreachable. On a virtual clock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CircuitBreakerOptions,
  type CircuitSync,
  circuitBreaker,
  consecutive,
} from '../../src/breaker/index.js';
import { BrokenCircuitError, InvalidOptionError } from '../../src/errors.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

async function halfOpenBreaker(options: CircuitBreakerOptions) {
  const clock = new VirtualClock();
  const breaker = circuitBreaker({ strategy: consecutive(1), halfOpenAfter: 100, clock, ...options });
  await breaker.execute(boom).catch(() => {});
  await clock.advance(100);
  expect(breaker.state).toBe('halfOpen');
  return { clock, breaker };
}

describe('circuitBreaker half-open verdict over N probes', () => {
  it('halfOpenSuccessThreshold: closes at the threshold, tolerating the other probes failing', async () => {
    const { breaker } = await halfOpenBreaker({ halfOpenProbes: 3, halfOpenSuccessThreshold: 2 });
    expect(breaker.halfOpenSuccesses).toBe(2);
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('halfOpen'); // one failure of the one tolerated
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('halfOpen');
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('halfOpenSuccessThreshold: reopens as soon as the threshold cannot be reached, for the next break', async () => {
    const { breaker, clock } = await halfOpenBreaker({ halfOpenProbes: 3, halfOpenSuccessThreshold: 2 });
    const changes: string[] = [];
    breaker.on('stateChange', ({ to }) => changes.push(to));
    await breaker.execute(boom).catch(() => {});
    expect(await breaker.execute(ok)).toBe('ok');
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['open']);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', breaks: 2 });
    await clock.advance(100);
    expect(breaker.state).toBe('halfOpen'); // a new half-open state starts with fresh counts
    expect(await breaker.execute(ok)).toBe('ok');
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('a judged probe keeps its slot: at most halfOpenProbes probes per half-open state', async () => {
    const { breaker } = await halfOpenBreaker({ halfOpenProbes: 3, halfOpenSuccessThreshold: 1 });
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('halfOpen');
    const last = deferred<string>();
    const running = breaker.execute(() => last.promise);
    await flushMicrotasks();
    // Two failures and one running probe fill the three slots.
    const refused = await breaker.execute(ok).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    last.resolve('up');
    expect(await running).toBe('up');
    expect(breaker.state).toBe('closed');
  });

  it('a slow probe counts as a failed one', async () => {
    const { breaker, clock } = await halfOpenBreaker({
      halfOpenProbes: 2,
      halfOpenSuccessThreshold: 1,
      slowCallDuration: 50,
    });
    const slow = breaker.execute(
      () => new Promise<string>((resolve) => clock.setTimer(() => resolve('late'), 60)),
    );
    await clock.advance(60);
    expect(await slow).toBe('late');
    expect(breaker.state).toBe('halfOpen');
    const slowAgain = breaker.execute(
      () => new Promise<string>((resolve) => clock.setTimer(() => resolve('late'), 60)),
    );
    await clock.advance(60);
    await slowAgain;
    expect(breaker.state).toBe('open');
  });

  it('halfOpenFailureRatio: reopens when failures / probes reaches the ratio, closes when it cannot', async () => {
    expect(
      (await halfOpenBreaker({ halfOpenProbes: 10, halfOpenFailureRatio: 0.5 })).breaker.halfOpenSuccesses,
    ).toBe(6);
    expect(
      (await halfOpenBreaker({ halfOpenProbes: 4, halfOpenFailureRatio: 0.25 })).breaker.halfOpenSuccesses,
    ).toBe(4);
    expect(
      (await halfOpenBreaker({ halfOpenProbes: 3, halfOpenFailureRatio: 1 })).breaker.halfOpenSuccesses,
    ).toBe(1);
    expect(
      (await halfOpenBreaker({ halfOpenProbes: 10, halfOpenFailureRatio: 0.3 })).breaker.halfOpenSuccesses,
    ).toBe(8);
    const { breaker } = await halfOpenBreaker({ halfOpenProbes: 4, halfOpenFailureRatio: 0.5 });
    await breaker.execute(boom).catch(() => {}); // 1/4 < 0.5
    expect(breaker.state).toBe('halfOpen');
    await breaker.execute(boom).catch(() => {}); // 2/4 reaches 0.5
    expect(breaker.state).toBe('open');
  });

  it('the default is unchanged: every probe must succeed, the first failure reopens', async () => {
    const { breaker } = await halfOpenBreaker({ halfOpenProbes: 2 });
    expect(breaker.halfOpenSuccesses).toBe(2);
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('checks the options', () => {
    const bad: [CircuitBreakerOptions, RegExp][] = [
      [{ halfOpenProbes: 2, halfOpenSuccessThreshold: 3 }, /halfOpenSuccessThreshold/],
      [{ halfOpenSuccessThreshold: 0 }, /halfOpenSuccessThreshold/],
      [{ halfOpenProbes: 3, halfOpenSuccessThreshold: 1.5 }, /halfOpenSuccessThreshold/],
      [{ halfOpenFailureRatio: 0 }, /halfOpenFailureRatio/],
      [{ halfOpenFailureRatio: 1.5 }, /halfOpenFailureRatio/],
      [{ halfOpenFailureRatio: Number.NaN }, /halfOpenFailureRatio/],
      [{ halfOpenProbes: 3, halfOpenSuccessThreshold: 2, halfOpenFailureRatio: 0.5 }, /halfOpenFailureRatio/],
    ];
    for (const [options, name] of bad) {
      expect(() => circuitBreaker(options)).toThrow(InvalidOptionError);
      expect(() => circuitBreaker(options)).toThrow(name);
    }
    const sync: CircuitSync = {
      attach: () => {},
      opened: () => {},
      closed: () => {},
      acquireProbe: async () => ({ release: () => {} }),
    };
    expect(() => circuitBreaker({ halfOpenProbes: 3, halfOpenSuccessThreshold: 2, sync })).toThrow(
      /halfOpenSuccessThreshold.*fleet-wide/,
    );
    expect(() => circuitBreaker({ halfOpenProbes: 3, halfOpenSuccessThreshold: 3, sync })).not.toThrow();
  });

  it('property: the verdict is the first of "threshold successes" and "too many failures", after at most N probes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 6 })
          .chain((probes) =>
            fc.tuple(
              fc.constant(probes),
              fc.integer({ min: 1, max: probes }),
              fc.array(fc.boolean(), { maxLength: 12 }),
            ),
          ),
        async ([probes, threshold, outcomes]) => {
          const { breaker } = await halfOpenBreaker({
            halfOpenProbes: probes,
            halfOpenSuccessThreshold: threshold,
          });
          let successes = 0;
          let failures = 0;
          let admitted = 0;
          for (const fails of outcomes) {
            const expected =
              successes >= threshold ? 'closed' : failures > probes - threshold ? 'open' : 'halfOpen';
            expect(breaker.state).toBe(expected);
            if (expected !== 'halfOpen') return;
            let ran = false;
            await breaker
              .execute(() => {
                ran = true;
                return fails ? boom() : ok();
              })
              .catch(() => {});
            expect(ran).toBe(true); // sequential probes never find their slots taken before the verdict
            admitted++;
            if (fails) failures++;
            else successes++;
            expect(admitted).toBeLessThanOrEqual(probes);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
