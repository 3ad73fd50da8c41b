/**
 * The waiting room's wake-ups: a waiter behind a refused call's held slot is woken by a timer that keeps the
 * process alive (the held slot's own timer does not); once the last waiter has left for a slot no such timer is
 * left; a waiter who gives up leaves the others their wake-up; a pause in force is kept (and not reported again)
 * when a later refusal hints at a shorter or equal one.
 */
import { describe, expect, it } from 'vitest';
import type { TimerHandle, TimerOptions } from '../../src/clock.js';
import { adaptiveConcurrency, type PausedEvent, sleep } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { notFound, overloaded, timedWork as work } from '../support/helpers.js';

/** A virtual clock that knows the due times of its pending timers that would keep a process alive. */
class KeepAliveClock extends VirtualClock {
  private readonly alive = new Map<TimerHandle, number>();

  override setTimer(callback: () => void, ms: number, options?: TimerOptions): TimerHandle {
    const due = this.now() + ms;
    const handle: TimerHandle = super.setTimer(
      () => {
        this.alive.delete(handle);
        callback();
      },
      ms,
      options,
    );
    if (options?.unref !== true) this.alive.set(handle, due);
    return handle;
  }

  override clearTimer(handle: TimerHandle): void {
    this.alive.delete(handle);
    super.clearTimer(handle);
  }

  /** Due times of the pending timers that keep the process alive, sorted. */
  get keepingAlive(): number[] {
    return [...this.alive.values()].sort((a, b) => a - b);
  }
}

describe('adaptiveConcurrency: the waiting room’s timers', () => {
  it('a waiter behind a refused call’s held slot is woken by a timer that keeps the process alive', async () => {
    const clock = new KeepAliveClock();
    const policy = adaptiveConcurrency({
      initialLimit: 1,
      minLimit: 1,
      maxLimit: 1,
      initialRtt: 100,
      maxWait: Number.POSITIVE_INFINITY,
      clock,
    });
    const refused = policy.execute(work(clock, 10, { error: overloaded() })).catch(() => undefined);
    let startedAt = -1;
    const waiting = policy.execute(() => {
      startedAt = clock.now();
    });
    await clock.advanceTo(10);
    await refused;
    // The slot is held for the rest of the 100 ms service time, until 100: only the room's own timer (not the held slot's, which is unref'd) keeps the
    // process alive for the waiter.
    expect(clock.keepingAlive).toEqual([100]);
    await clock.runAll();
    await waiting;
    expect(startedAt).toBe(100);
    expect(clock.keepingAlive).toEqual([]);
  });

  it('once the last waiter has left for a slot, no timer of the room is left', async () => {
    const clock = new KeepAliveClock();
    const policy = adaptiveConcurrency({
      initialLimit: 10,
      minLimit: 10,
      maxLimit: 10,
      initialRtt: 100,
      maxWait: Number.POSITIVE_INFINITY,
      clock,
    });
    // Eight calls fill eight slots until 1 000.
    const fillers = Array.from({ length: 8 }, () => policy.execute(work(clock, 1_000)));
    await clock.advanceTo(200);
    // A refusal holds the ninth slot until 300; an answer frees the tenth at 250.
    const refused = policy.execute(work(clock, 0, { error: overloaded() })).catch(() => undefined);
    const answer = policy.execute(work(clock, 50, { error: notFound() })).catch(() => undefined);
    await clock.advanceTo(210);
    let startedAt = -1;
    const waiting = policy.execute(async (ctx) => {
      startedAt = clock.now();
      await sleep(10, ctx.signal, clock);
    });
    expect(clock.keepingAlive).toEqual([250, 300, ...Array(8).fill(1_000)]);
    await clock.advanceTo(250);
    expect(startedAt).toBe(250);
    // The room's wake-up for the held slot went with the last waiter: what is left is the calls' own work.
    expect(clock.keepingAlive).toEqual([260, ...Array(8).fill(1_000)]);
    await clock.runAll();
    await Promise.all([...fillers, refused, answer, waiting]);
    expect(clock.keepingAlive).toEqual([]);
  });

  it('a waiter who gives up leaves the others their wake-up', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 10, initialRtt: 1, clock });
    // A refusal at 10 with a 500 ms hint pauses every dispatch until 510.
    const hinted = policy.execute(work(clock, 10, { error: overloaded(500) })).catch(() => undefined);
    await clock.advanceTo(20);
    let startedAt = -1;
    const patient = policy.execute(() => {
      startedAt = clock.now();
    });
    const controller = new AbortController();
    const leaving = policy.execute(() => 'never', { signal: controller.signal }).catch((e: unknown) => e);
    await clock.advanceTo(30);
    controller.abort('enough');
    expect(await leaving).toBe('enough');
    await clock.runAll();
    await Promise.all([hinted, patient]);
    expect(startedAt).toBe(510);
  });

  it('a pause in force is kept, and not reported again, when a later refusal hints at a shorter or equal one', async () => {
    const clock = new VirtualClock();
    const policy = adaptiveConcurrency({ initialLimit: 10, initialRtt: 1, clock });
    const paused: PausedEvent[] = [];
    policy.on('paused', (e) => paused.push(e));
    // Three calls sent at 0: two refused at once with a 500 ms hint, one refused at 100 with a 100 ms hint.
    const refusals = [
      policy.execute(work(clock, 0, { error: overloaded(500) })).catch(() => undefined),
      policy.execute(work(clock, 0, { error: overloaded(500) })).catch(() => undefined),
      policy.execute(work(clock, 100, { error: overloaded(100) })).catch(() => undefined),
    ];
    await clock.advanceTo(300);
    await Promise.all(refusals);
    // The pause still ends at 500, not 200.
    expect(policy.stats().paused).toBe(true);
    await clock.advanceTo(500);
    expect(policy.stats().paused).toBe(false);
    expect(paused).toEqual([{ policy: 'adaptiveConcurrency', duration: 500 }]);
  });
});
