/**
 * What a fallback reports and hands on: the `fallback` event's payload for a failure and for a refused result,
 * `success` and `failure` with their durations on the policy's clock, a result `handleResult` accepts passed through
 * unchanged, and a caller abort reported as the function's failure while the caller gets its own reason.
 */
import { describe, expect, it } from 'vitest';
import { type Failure, fallback, sleep } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

describe('fallback: events', () => {
  it('a refused result: the fallback gets it, and the event carries it with the duration', async () => {
    const clock = new VirtualClock(1_000);
    const failures: Failure[] = [];
    const policy = fallback({
      handleResult: (value) => value === 'empty',
      fallback: (failure) => {
        failures.push(failure);
        return 'cached';
      },
      clock,
      name: 'cache',
    });
    const events: unknown[] = [];
    policy.on('fallback', (e) => events.push(e));
    const answer = policy.execute(() => sleep(30, undefined, clock).then(() => 'empty'));
    await clock.advance(30);
    await expect(answer).resolves.toBe('cached');
    expect(failures).toEqual([{ kind: 'result', result: 'empty' }]);
    expect(events).toEqual([{ policy: 'cache', result: 'empty', duration: 30 }]);
  });

  it('a result handleResult accepts passes through as a success, timed on the clock', async () => {
    const clock = new VirtualClock(1_000);
    let used = 0;
    const policy = fallback({
      handleResult: (value) => value === 'empty',
      fallback: () => {
        used++;
        return 'cached';
      },
      clock,
    });
    const successes: number[] = [];
    policy.on('success', (e) => successes.push(e.duration));
    const answer = policy.execute(() => sleep(45, undefined, clock).then(() => 'fresh'));
    await clock.advance(45);
    await expect(answer).resolves.toBe('fresh');
    expect(used).toBe(0);
    expect(successes).toEqual([45]);
  });

  it('without handleResult, a success listened to is timed on the clock and never falls back', async () => {
    const clock = new VirtualClock(1_000);
    const policy = fallback({ fallback: () => 'cached', clock });
    const seen: string[] = [];
    policy.on('success', (e) => seen.push(`success:${e.duration}`));
    policy.on('fallback', () => seen.push('fallback'));
    const answer = policy.execute(() => sleep(20, undefined, clock).then(() => null));
    await clock.advance(20);
    await expect(answer).resolves.toBeNull();
    expect(seen).toEqual(['success:20']);
  });

  it('an unhandled error is reported as a failure timed from the start, and passed on', async () => {
    const clock = new VirtualClock(1_000);
    const policy = fallback({ handle: (e) => e instanceof RangeError, fallback: () => 0, clock });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e));
    const error = new TypeError('t');
    const answer = policy.execute(() => sleep(15, undefined, clock).then(() => Promise.reject(error)));
    answer.catch(() => {});
    await clock.advance(15);
    await expect(answer).rejects.toBe(error);
    expect(failures).toEqual([{ policy: 'fallback', error, duration: 15 }]);
  });

  it('a fallback listener attached while the call ran (start time unread) reports duration 0', async () => {
    const policy = fallback({ fallback: () => 'cached' });
    const gate = deferred<string>();
    const answer = policy.execute(() => gate.promise);
    const events: unknown[] = [];
    policy.on('fallback', (e) => events.push(e));
    const error = new Error('late');
    gate.reject(error);
    await expect(answer).resolves.toBe('cached');
    expect(events).toEqual([{ policy: 'fallback', error, duration: 0 }]);
  });

  it('a caller abort: the failure event carries what the function threw, the caller gets its reason', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const policy = fallback({ fallback: () => 'never', clock });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e.error));
    const thrownByFn = new Error('aborted inside');
    const answer = policy.execute(
      ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(thrownByFn))),
      { signal: controller.signal },
    );
    controller.abort('cancel');
    await expect(answer).rejects.toBe('cancel');
    await clock.advance(0);
    expect(failures).toEqual([thrownByFn]);
  });
});
