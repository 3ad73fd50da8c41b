import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, sleep } from '../src/index.js';
import { VirtualClock } from '../src/testing.js';
import { abortListeners, stateOf } from './support/helpers.js';

describe('sleep', () => {
  it('resolves after the delay on the given clock', async () => {
    const clock = new VirtualClock();
    const done = sleep(100, undefined, clock);
    await clock.advance(99);
    expect(await stateOf(done)).toBe('pending');
    await clock.advance(1);
    expect(await stateOf(done)).toBe('fulfilled');
  });

  it('rejects promptly with the abort reason and clears its timer and listener', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const done = sleep(10_000, controller.signal, clock);
    controller.abort('why');
    await expect(done).rejects.toBe('why');
    expect(clock.pendingTimers).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('removes its listener when it completes', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const done = sleep(5, controller.signal, clock);
    await clock.advance(5);
    await done;
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('rejects at once for an aborted signal', async () => {
    await expect(sleep(1, AbortSignal.abort('pre'))).rejects.toBe('pre');
  });

  it('rejects a delay that is not a finite number >= 0 with InvalidOptionError, never sleeps forever', async () => {
    for (const ms of [Number.POSITIVE_INFINITY, Number.NaN, -1, '5' as never, undefined as never]) {
      await expect(sleep(ms)).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'ms' });
    }
    await expect(sleep(Number.POSITIVE_INFINITY)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('sleep(0) needs no timer: it resolves without the clock moving, asynchronously, and an abort still wins', async () => {
    const clock = new VirtualClock();
    let done = false;
    const zero = sleep(0, undefined, clock).then(() => {
      done = true;
    });
    expect(done).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    await zero;
    expect(clock.now()).toBe(0);
    const controller = new AbortController();
    const aborted = sleep(0, controller.signal, clock);
    controller.abort('why');
    await expect(aborted).rejects.toBe('why');
    expect(abortListeners(controller.signal)).toBe(0);
  });
});

describe('VirtualClock', () => {
  it('fires timers in due order, ties in creation order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 40 }), async (delays) => {
        const clock = new VirtualClock();
        const fired: number[] = [];
        delays.forEach((d, i) => {
          clock.setTimer(() => fired.push(i), d);
        });
        await clock.runAll();
        const expected = delays.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(fired).toEqual(expected.map(([, i]) => i));
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('fires exactly the timers not cleared, in due order, whatever was cleared and set in between', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean(), fc.integer({ min: 0, max: 5 })), {
          maxLength: 60,
        }),
        async (plan) => {
          const clock = new VirtualClock();
          const fired: number[] = [];
          const handles: unknown[] = [];
          const cleared = new Set<number>();
          plan.forEach(([delay, clear, back], i) => {
            handles.push(clock.setTimer(() => fired.push(i), delay));
            // Clear an earlier timer (or this one), and clearing twice or a foreign handle is harmless.
            const target = Math.max(0, i - back);
            if (clear) {
              clock.clearTimer(handles[target]);
              clock.clearTimer(handles[target]);
              clock.clearTimer(target);
              cleared.add(target);
            }
          });
          expect(clock.pendingTimers).toBe(plan.length - cleared.size);
          await clock.runAll();
          const expected = plan
            .map(([delay], i) => [delay, i] as const)
            .filter(([, i]) => !cleared.has(i))
            .sort((a, b) => a[0] - b[0] || a[1] - b[1])
            .map(([, i]) => i);
          expect(fired).toEqual(expected);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a timer set while others fire at the same time runs after them; clearing a due timer in a callback works', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    let second: unknown;
    clock.setTimer(() => {
      fired.push('a');
      clock.setTimer(() => fired.push('late'), 0);
      clock.clearTimer(second);
    }, 10);
    second = clock.setTimer(() => fired.push('cleared'), 10);
    clock.setTimer(() => fired.push('b'), 10);
    await clock.advance(10);
    expect(fired).toEqual(['a', 'b', 'late']);
  });

  it('never fires a timer of Infinity ms; NaN and negative delays mean 0', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const never = clock.setTimer(() => fired.push('never'), Number.POSITIVE_INFINITY);
    clock.setTimer(() => fired.push('nan'), Number.NaN);
    clock.setTimer(() => fired.push('negative'), -5);
    await clock.runAll();
    await clock.advance(1e12);
    expect(fired).toEqual(['nan', 'negative']);
    expect(clock.now()).toBe(1e12);
    expect(clock.pendingTimers).toBe(1);
    clock.clearTimer(never);
    expect(clock.pendingTimers).toBe(0);
  });

  it('clearTimer cancels and advance moves time even without timers', async () => {
    const clock = new VirtualClock(10);
    const h = clock.setTimer(() => {
      throw new Error('must not fire');
    }, 5);
    clock.clearTimer(h);
    await clock.advance(100);
    expect(clock.now()).toBe(110);
  });
});
