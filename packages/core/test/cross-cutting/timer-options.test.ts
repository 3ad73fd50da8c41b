/**
 * Which timers may keep a process alive (see process-liveness.test.ts for the real process): a timer guarding a
 * pending call is armed without `unref` unless the policy was given `unref: true`; background timers are unref'd.
 */
import { describe, expect, it } from 'vitest';
import {
  adaptiveConcurrency,
  bulkhead,
  type Clock,
  hedge,
  InvalidOptionError,
  rateLimit,
  type TimerHandle,
  type TimerOptions,
  TimeoutError,
  timeout,
  tokenBucket,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { stateOf } from '../support/helpers.js';

/** A virtual clock that remembers whether each timer still armed was unref'd. */
class RecordingClock implements Clock {
  readonly inner = new VirtualClock();
  private readonly unrefOf = new Map<TimerHandle, boolean>();

  now(): number {
    return this.inner.now();
  }
  setTimer(callback: () => void, ms: number, options?: TimerOptions): TimerHandle {
    const handle = this.inner.setTimer(() => {
      this.unrefOf.delete(handle);
      callback();
    }, ms);
    this.unrefOf.set(handle, options?.unref === true);
    return handle;
  }
  clearTimer(handle: TimerHandle): void {
    this.unrefOf.delete(handle);
    this.inner.clearTimer(handle);
  }
  refTimer(handle: TimerHandle, ref: boolean): void {
    if (this.unrefOf.has(handle)) this.unrefOf.set(handle, !ref);
  }
  /** Timers armed now that would keep a process alive. */
  get refed(): number {
    return [...this.unrefOf.values()].filter((unref) => !unref).length;
  }
  get armed(): number {
    return this.unrefOf.size;
  }
}

const never = (): Promise<never> => new Promise(() => {});
const busy = (): Error => Object.assign(new Error('busy'), { status: 503 });

/** Each policy with one call left pending on a timer that guards it. */
const cases: Record<string, (clock: Clock, unref: boolean | undefined) => Promise<unknown>> = {
  timeout: (clock, unref) => timeout(1_000, { clock, unref }).execute(never),
  'bulkhead queue timeout': (clock, unref) => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 1_000, clock, unref });
    policy.execute(never);
    return policy.execute(() => 1);
  },
  'rate limiter wait': async (clock, unref) => {
    const policy = rateLimit({ limits: tokenBucket({ rate: 1 }), clock, unref });
    await policy.execute(() => 1);
    return policy.execute(() => 2);
  },
  'adaptive concurrency held slot': async (clock, unref) => {
    const policy = adaptiveConcurrency({ initialLimit: 1, maxWait: Number.POSITIVE_INFINITY, clock, unref });
    await policy.execute(() => Promise.reject(busy())).catch(() => {});
    return policy.execute(() => 1);
  },
  'hedge delay': (clock, unref) => hedge({ delay: 1_000, clock, unref }).execute(never),
};

describe('timers that guard a pending call', () => {
  for (const [name, start] of Object.entries(cases)) {
    it(`${name}: keep the process alive by default, not with unref: true`, async () => {
      for (const unref of [undefined, false, true]) {
        const clock = new RecordingClock();
        start(clock, unref).catch(() => {});
        await clock.inner.advance(0);
        expect(clock.armed).toBeGreaterThan(0);
        if (unref === true) expect(clock.refed).toBe(0);
        else expect(clock.refed).toBeGreaterThan(0);
      }
    });
  }

  it('`unref` must be a boolean', () => {
    const bad = { unref: 'yes' as never };
    expect(() => timeout(10, bad)).toThrow(InvalidOptionError);
    expect(() => bulkhead({ maxConcurrent: 1, ...bad })).toThrow(/unref/);
    expect(() => rateLimit({ limits: tokenBucket({ rate: 1 }), ...bad })).toThrow(/unref/);
    expect(() => adaptiveConcurrency(bad)).toThrow(/unref/);
    expect(() => hedge({ delay: 10, ...bad })).toThrow(/unref/);
  });
});

describe('once the work is done', () => {
  it("a timeout's deadline queue holds no timer (at most its resolution window longer)", async () => {
    const clock = new RecordingClock();
    const policy = timeout(30_000, { clock });
    const calls = [1, 2, 3].map((n) => policy.execute(async () => n));
    expect(clock.refed).toBe(1);
    await Promise.all(calls);
    // Nothing pending: nothing holds the process, at once.
    expect(clock.refed).toBe(0);
    // The open bucket's window (20 ms) may still take newcomers (the timer is ref'd again then); then it goes.
    const again = policy.execute(() => new Promise(() => {}));
    again.catch(() => {});
    expect(clock.refed).toBe(1);
    await clock.inner.advance(30_020);
    await expect(again).rejects.toBeInstanceOf(TimeoutError);
    await Promise.all([1, 2].map((n) => policy.execute(async () => n)));
    expect(clock.refed).toBe(0);
    await clock.inner.advance(policy.resolution);
    expect(clock.armed).toBe(0);
    expect(policy.queue.armed).toBe(false);
  });

  it('buckets emptied out of order leave the pending deadline intact, and the last one takes the timer', async () => {
    const clock = new RecordingClock();
    const policy = timeout(1_000, { clock, resolution: 0 });
    const release: Array<() => void> = [];
    const calls: Array<Promise<void>> = [];
    for (let i = 0; i < 3; i++) {
      calls.push(policy.execute(() => new Promise<void>((resolve) => release.push(resolve))));
      await clock.inner.advance(100);
    }
    for (const call of calls) call.catch(() => {});
    release[0]!();
    release[2]!();
    await clock.inner.advanceTo(1_099);
    expect(await stateOf(calls[0]!)).toBe('fulfilled');
    expect(await stateOf(calls[1]!)).toBe('pending');
    expect(clock.refed).toBe(1);
    await clock.inner.advance(1);
    await expect(calls[1]).rejects.toBeInstanceOf(TimeoutError);
    await expect(calls[2]).resolves.toBeUndefined();
    expect(clock.armed).toBe(0);
    expect(policy.queue.size).toBe(0);

    // All settled before any deadline: the last settle clears the timer at once.
    const quick = [0, 1, 2].map(() => policy.execute(async () => 'fast'));
    expect(clock.refed).toBe(1);
    await Promise.all(quick);
    expect(clock.armed).toBe(0);
  });

  it('adaptive concurrency: no timer keeps the process alive after a refusal hold or a pause', async () => {
    const clock = new RecordingClock();
    const policy = adaptiveConcurrency({ initialRtt: 30_000, clock });
    const hinted = Object.assign(busy(), { retryAfterMs: 30_000 });
    await policy.execute(() => Promise.reject(hinted)).catch(() => {});
    expect(policy.stats()).toMatchObject({ inFlight: 1, paused: true });
    expect(clock.refed).toBe(0);
    // A call arriving during the pause waits, and its wake-up keeps the process alive; leaving takes it away.
    const controller = new AbortController();
    const waiting = policy.execute(() => 1, { signal: controller.signal });
    waiting.catch(() => {});
    await clock.inner.advance(0);
    expect(policy.queued).toBe(1);
    expect(clock.refed).toBeGreaterThan(0);
    controller.abort();
    await clock.inner.advance(0);
    expect(clock.refed).toBe(0);
    await clock.inner.runAll();
    expect(policy.inFlight).toBe(0);
    expect(clock.armed).toBe(0);
  });
});
