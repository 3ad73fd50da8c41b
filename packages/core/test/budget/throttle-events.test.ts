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

describe('adaptiveThrottle window and draws', () => {
  it('a draw equal to the rejection probability lets the call through; only a draw below it throttles', async () => {
    let draw = 0.5;
    const throttle = adaptiveThrottle({ k: 1, clock: new VirtualClock(), random: () => draw });
    await throttle.execute(() => Promise.reject(overloaded)).catch(() => {});
    // One request, no accept: p = (1 - 0) / 2.
    expect(throttle.rejectionProbability).toBe(0.5);
    await expect(throttle.execute(() => 'sent')).resolves.toBe('sent');
    draw = 0.49;
    await throttle.execute(() => Promise.reject(overloaded)).catch(() => {});
    await throttle.execute(() => Promise.reject(overloaded)).catch(() => {});
    await expect(throttle.execute(() => 'sent')).rejects.toMatchObject({ code: 'THROTTLED' });
  });

  it('the first call after the window passed is judged on the window now, not on the refusals that left it', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ window: 1_000, clock, random: () => 0 });
    for (let i = 0; i < 10; i++) await throttle.execute(() => Promise.reject(overloaded)).catch(() => {});
    await clock.advance(2_000);
    await expect(throttle.execute(() => 'sent')).resolves.toBe('sent');
  });

  it('a long call is counted when it ends, in the slice of its end', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ window: 1_000, buckets: 10, clock, random: () => 1 });
    const gate = deferred<never>();
    const call = throttle.execute(() => gate.promise).catch(() => {});
    await clock.advance(950);
    gate.reject(overloaded);
    await call;
    // Counted at 950 (slice 9): still in the window at 1500, gone once slice 9 has left it.
    await clock.advance(550);
    expect(throttle.stats().requests).toBe(1);
    await clock.advance(500);
    expect(throttle.stats().requests).toBe(0);
  });
});
