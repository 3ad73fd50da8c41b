import { describe, expect, it } from 'vitest';
import { adaptiveThrottle } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

const overloaded = Object.assign(new Error('503'), { status: 503 });

describe('adaptiveThrottle events', () => {
  it.each(['success', 'failure'] as const)(
    "with only a '%s' listener, its duration is the call's own (not the clock's reading)",
    async (event) => {
      const clock = new VirtualClock(5_000);
      const throttle = adaptiveThrottle({ clock, random: () => 1 });
      const seen: unknown[] = [];
      throttle.on(event, (payload) => seen.push(payload));
      const gate = deferred<string>();
      const call = throttle.execute(() => gate.promise).catch((error: unknown) => error);
      await clock.advance(250);
      if (event === 'success') gate.resolve('ok');
      else gate.reject(overloaded);
      await call;
      expect(seen).toEqual([
        event === 'success'
          ? { policy: 'adaptiveThrottle', duration: 250 }
          : { policy: 'adaptiveThrottle', duration: 250, error: overloaded },
      ]);
    },
  );
});

describe('adaptiveThrottle draws', () => {
  it('draws from its random source only when the rejection probability is above 0', async () => {
    let draws = 0;
    const random = () => {
      draws++;
      return 0.999;
    };
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random });
    for (let i = 0; i < 20; i++) await throttle.execute(() => 'ok');
    // 20 refusals against 20 accepts with k = 2: p = max(0, (40 - 40) / 41) = 0.
    for (let i = 0; i < 20; i++) await throttle.execute(() => Promise.reject(overloaded)).catch(() => {});
    expect(throttle.rejectionProbability).toBe(0);
    expect(draws).toBe(0);
    await throttle.execute(() => Promise.reject(overloaded)).catch(() => {});
    expect(throttle.rejectionProbability).toBeGreaterThan(0);
    await throttle.execute(() => 'ok');
    expect(draws).toBe(1);
  });
});
