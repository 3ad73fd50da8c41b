/** autoHalfOpen: the open -> halfOpen transition on a timer (unref'd, one at most, cleared by every transition). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breakerControl, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import type { Clock, TimerHandle, TimerOptions } from '../../src/clock.js';
import { InvalidOptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

/** A virtual clock that remembers, for each timer still armed, whether it was unref'd. */
class RecordingClock implements Clock {
  readonly inner = new VirtualClock();
  readonly armed = new Map<TimerHandle, boolean>();
  now(): number {
    return this.inner.now();
  }
  setTimer(callback: () => void, ms: number, options?: TimerOptions): TimerHandle {
    const handle = this.inner.setTimer(() => {
      this.armed.delete(handle);
      callback();
    }, ms);
    this.armed.set(handle, options?.unref === true);
    return handle;
  }
  clearTimer(handle: TimerHandle): void {
    this.armed.delete(handle);
    this.inner.clearTimer(handle);
  }
  advance(ms: number): Promise<void> {
    return this.inner.advance(ms);
  }
}

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

async function tripped(options: Parameters<typeof circuitBreaker>[0] = {}) {
  const clock = new RecordingClock();
  const breaker = circuitBreaker({
    clock,
    strategy: consecutive(1),
    halfOpenAfter: 1_000,
    autoHalfOpen: true,
    ...options,
  });
  const changes: string[] = [];
  breaker.on('stateChange', ({ from, to }) => changes.push(`${from}->${to}@${clock.now()}`));
  await breaker.execute(boom).catch(() => {});
  return { clock, breaker, changes };
}

describe('autoHalfOpen', () => {
  it('emits the stateChange to halfOpen when the break ends, with no call, on one unref timer', async () => {
    const { clock, breaker, changes } = await tripped();
    expect([...clock.armed.values()]).toEqual([true]); // one timer, unref'd
    await clock.advance(999);
    expect(changes).toEqual(['closed->open@0']);
    await clock.advance(1);
    expect(changes).toEqual(['closed->open@0', 'open->halfOpen@1000']);
    expect(clock.armed.size).toBe(0);
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('with maxHalfOpenDuration, a hung probe sends the circuit back to open at the deadline, then half-open again', async () => {
    const { clock, breaker, changes } = await tripped({ maxHalfOpenDuration: 200 });
    await clock.advance(1_000);
    void breaker.execute(() => new Promise(() => {}));
    expect(clock.armed.size).toBe(1);
    await clock.advance(200);
    await clock.advance(1_000);
    expect(changes).toEqual([
      'closed->open@0',
      'open->halfOpen@1000',
      'halfOpen->open@1200',
      'open->halfOpen@2200',
    ]);
  });

  it('reset, isolate and a control clear or move the timer', async () => {
    const control = breakerControl();
    const { clock, breaker, changes } = await tripped({ control });
    breaker.reset();
    expect(clock.armed.size).toBe(0);
    await breaker.execute(boom).catch(() => {});
    const handle = breaker.isolate();
    expect(clock.armed.size).toBe(0);
    handle.dispose();
    control.openFor(5_000);
    expect(clock.armed.size).toBe(1);
    await clock.advance(5_000);
    expect(changes.at(-1)).toBe('open->halfOpen@5000');
    await breaker.execute(boom).catch(() => {});
    control.forceClosed();
    expect(clock.armed.size).toBe(0);
  });

  it('dispose() stops the timer for good; the breaker goes on lazily', async () => {
    const { clock, breaker, changes } = await tripped();
    breaker.dispose();
    expect(clock.armed.size).toBe(0);
    await clock.advance(1_000);
    expect(changes).toEqual(['closed->open@0']);
    expect(breaker.state).toBe('halfOpen'); // seen at the read
    await breaker.execute(boom).catch(() => {});
    expect(clock.armed.size).toBe(0);
  });

  it('a breaker restored open arms its timer; without the option no timer is ever armed', async () => {
    const { breaker: source } = await tripped();
    const clock = new RecordingClock();
    const restored = circuitBreaker({ clock, autoHalfOpen: true, initialState: source.snapshot() });
    expect(clock.armed.size).toBe(1);
    await clock.advance(1_000);
    expect(clock.armed.size).toBe(0);
    expect(restored.state).toBe('halfOpen');
    const lazy = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 10 });
    await lazy.execute(boom).catch(() => {});
    expect(clock.armed.size).toBe(0);
    expect(() => circuitBreaker({ autoHalfOpen: 'yes' as never })).toThrow(InvalidOptionError);
  });

  it('property: at most one timer, armed exactly while open, and no open state outlives its break', async () => {
    const step = fc.oneof(
      fc.constant({ type: 'fail' as const }),
      fc.constant({ type: 'succeed' as const }),
      fc.constant({ type: 'reset' as const }),
      fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const clock = new RecordingClock();
        const breaker = circuitBreaker({
          clock,
          strategy: consecutive(2),
          halfOpenAfter: 300,
          autoHalfOpen: true,
        });
        let kind = 'closed';
        breaker.on('stateChange', ({ to }) => (kind = to));
        for (const s of steps) {
          if (s.type === 'fail') await breaker.execute(boom).catch(() => {});
          else if (s.type === 'succeed') await breaker.execute(ok).catch(() => {});
          else if (s.type === 'reset') breaker.reset();
          else await clock.advance(s.ms);
          // `kind` is what the events said, without a read of `state` that would move the circuit itself.
          expect(clock.armed.size).toBe(kind === 'open' ? 1 : 0);
          for (const unref of clock.armed.values()) expect(unref).toBe(true);
          expect(breaker.state).toBe(kind);
        }
      }),
      { numRuns: 150 },
    );
  });
});
