import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constant,
  type GiveUpEvent,
  isInvalidOptionError,
  isRetryExhaustedError,
  RetryExhaustedError,
  type RetryEvent,
  type RetryOutcome,
  retry,
  sleep,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { flaky } from '../support/helpers.js';

describe('retry: delay function (delayHint with the attempt number)', () => {
  it('receives each failed outcome and the attempt about to start; its number is the wait', async () => {
    const clock = new VirtualClock();
    const seen: [RetryOutcome, number][] = [];
    const answers = ['busy', 'busy', 'done'];
    const policy = retry({
      maxAttempts: 5,
      backoff: constant(1),
      clock,
      handleResult: (value) => value === 'busy',
      delayHint: (outcome, attempt) => {
        seen.push([outcome, attempt]);
        return 'error' in outcome ? 500 : attempt * 100;
      },
    });
    const waits: RetryEvent[] = [];
    policy.on('retry', (e) => waits.push(e));
    let call = 0;
    const result = policy.execute(() => {
      call++;
      if (call === 1) return Promise.reject(new Error('boom'));
      return Promise.resolve(answers[call - 2]);
    });
    await clock.runAll();
    await expect(result).resolves.toBe('done');
    expect(seen.map(([outcome, attempt]) => ['error' in outcome, attempt])).toEqual([
      [true, 1],
      [false, 2],
      [false, 3],
    ]);
    expect(waits.map((e) => [e.delay, e.delaySource])).toEqual([
      [500, 'hint'],
      [200, 'hint'],
      [300, 'hint'],
    ]);
    expect(clock.now()).toBe(1_000);
  });

  it('never waits a silently wrong delay: NaN, negative, Infinity or a non-number falls back to the backoff', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<unknown>(
          Number.NaN,
          -1,
          -0.5,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          '100',
          null,
          undefined,
          {},
        ),
        async (bad) => {
          const clock = new VirtualClock();
          const { fn } = flaky(1, 'ok');
          const waits: RetryEvent[] = [];
          const policy = retry({ backoff: constant(42), clock, delayHint: () => bad as number });
          policy.on('retry', (e) => waits.push(e));
          const result = policy.execute(fn);
          await clock.runAll();
          await expect(result).resolves.toBe('ok');
          expect(waits.map((e) => [e.delay, e.delaySource])).toEqual([[42, 'backoff']]);
        },
      ),
    );
  });

  it('a delay above maxDelay gives up at once (hintTooLong), as a server hint does', async () => {
    const clock = new VirtualClock();
    const { fn, calls } = flaky(5, 'ok');
    const giveUps: GiveUpEvent[] = [];
    const policy = retry({ clock, maxDelay: 1_000, delayHint: (_, attempt) => attempt * 2_000 });
    policy.on('giveUp', (e) => giveUps.push(e));
    await expect(policy.execute(fn)).rejects.toThrow('fail 1');
    expect(calls).toEqual([0]);
    expect(giveUps.map((e) => e.reason)).toEqual(['hintTooLong']);
  });
});

describe('retry: attemptDuration in retry events', () => {
  it('is how long each failed attempt ran, on the policy clock', async () => {
    const clock = new VirtualClock();
    const durations = [30, 70, 10];
    let call = 0;
    const policy = retry({ maxAttempts: 3, backoff: constant(5), clock });
    const events: RetryEvent[] = [];
    policy.on('retry', (e) => events.push(e));
    const result = policy.execute(async () => {
      const ms = durations[call++]!;
      await sleep(ms, undefined, clock);
      throw new Error(`fail after ${ms}`);
    });
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toThrow('fail after 10');
    expect(events.map((e) => e.attemptDuration)).toEqual([30, 70]);
  });

  it('also when the first attempt ran on the loop (handleResult set)', async () => {
    const clock = new VirtualClock();
    const policy = retry({ maxAttempts: 2, backoff: constant(5), clock, handleResult: (v) => v === 'busy' });
    const events: RetryEvent[] = [];
    policy.on('retry', (e) => events.push(e));
    let call = 0;
    const result = policy.execute(async () => {
      await sleep(call++ === 0 ? 25 : 1, undefined, clock);
      return call === 1 ? 'busy' : 'ok';
    });
    await clock.runAll();
    await expect(result).resolves.toBe('ok');
    expect(events.map((e) => e.attemptDuration)).toEqual([25]);
  });
});

describe('retry: failOnExhaustedResult', () => {
  it('rejects with RetryExhaustedError carrying the last refused result (default: returns it)', async () => {
    for (const failOnExhaustedResult of [false, true]) {
      const clock = new VirtualClock();
      let call = 0;
      const policy = retry({
        maxAttempts: 3,
        backoff: constant(10),
        clock,
        handleResult: (v) => typeof v === 'string' && v.startsWith('busy'),
        failOnExhaustedResult,
      });
      const outcome = policy
        .execute(async () => `busy ${++call}`)
        .then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
      await clock.runAll();
      const settled = await outcome;
      if (!failOnExhaustedResult) {
        expect(settled).toEqual({ value: 'busy 3' });
        continue;
      }
      const error = (settled as { error: unknown }).error;
      expect(error).toBeInstanceOf(RetryExhaustedError);
      expect(isRetryExhaustedError(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'RETRY_EXHAUSTED',
        result: 'busy 3',
        attempts: 3,
        reason: 'attempts',
      });
    }
  });

  it('names the give-up reason (here a hint too long) and reports a failure event', async () => {
    const clock = new VirtualClock();
    const policy = retry({
      clock,
      maxDelay: 100,
      handleResult: () => true,
      delayHint: () => 5_000,
      failOnExhaustedResult: true,
    });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e.error));
    const error = await policy.execute(() => 'quota').catch((e: unknown) => e);
    expect(error).toMatchObject({ result: 'quota', attempts: 1, reason: 'hintTooLong' });
    expect(failures).toEqual([error]);
  });

  it('leaves errors alone: an error is rethrown as is', async () => {
    const clock = new VirtualClock();
    const { fn } = flaky(5, 'ok');
    const result = retry({ clock, maxAttempts: 2, failOnExhaustedResult: true }).execute(fn);
    result.catch(() => {});
    await clock.runAll();
    await expect(result).rejects.toThrow('fail 2');
  });

  it('refuses a non-boolean with InvalidOptionError naming it', () => {
    let error: unknown;
    try {
      retry({ failOnExhaustedResult: 'yes' as never });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error) && error.option).toBe('failOnExhaustedResult');
  });
});
