// What retry answers in the cases its fast path and its loop share: plain values, synchronous throws, a caller
// abort during an attempt, hints of 0 and hints that are no hints, and the success/failure events' durations
// (measured from the execution's start, not from the clock's origin).
import { describe, expect, it } from 'vitest';
import {
  constant,
  InvalidOptionError,
  isRetryExhaustedError,
  pipeline,
  RetryExhaustedError,
  type RetryEvent,
  retry,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

describe('retry: answers that are not promises', () => {
  it('resolves with a plain value, null or undefined as returned', async () => {
    for (const value of [5, null, undefined, 'x']) {
      await expect(retry().execute(() => value)).resolves.toBe(value);
    }
  });

  it('rejects with a synchronous throw that handle refuses, without retrying it', async () => {
    let calls = 0;
    const refused = new TypeError('bad input');
    const policy = retry({ handle: (error) => !(error instanceof TypeError) });
    await expect(
      policy.execute(() => {
        calls++;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });
});

describe('retry: the caller aborts during an attempt', () => {
  it('rejects with the caller reason, without a retry event and without asking handle', async () => {
    const clock = new VirtualClock();
    const asked: unknown[] = [];
    const policy = retry({ backoff: constant(10), clock, handle: (error) => asked.push(error) > 0 });
    const retries: RetryEvent[] = [];
    policy.on('retry', (event) => retries.push(event));
    const controller = new AbortController();
    const reason = new Error('caller left');
    const run = policy.execute(
      () => {
        controller.abort(reason);
        return Promise.reject(new Error('attempt failed'));
      },
      { signal: controller.signal },
    );
    await expect(run).rejects.toBe(reason);
    expect(retries).toHaveLength(0);
    expect(asked).toHaveLength(0);
  });
});

/** The one retry's [delay, delaySource] of a call that fails once under `delayHint`, and when it retried. */
async function firstWait(backoffDelay: number, hint: unknown) {
  const clock = new VirtualClock();
  const policy = retry({ backoff: constant(backoffDelay), clock, delayHint: () => hint as number });
  const retries: RetryEvent[] = [];
  policy.on('retry', (event) => retries.push(event));
  let calls = 0;
  const run = policy.execute(() => (++calls === 1 ? Promise.reject(new Error('busy')) : 'ok'));
  await clock.runAll();
  await expect(run).resolves.toBe('ok');
  return { waits: retries.map((e) => [e.delay, e.delaySource]), at: clock.now() };
}

describe('retry: delay hints', () => {
  it('a hint of 0 is a hint: the retry comes at once, from the hint', async () => {
    expect(await firstWait(500, 0)).toEqual({ waits: [[0, 'hint']], at: 0 });
  });

  it("in 'replace' mode a hint shorter than the backoff's delay is waited as is", async () => {
    expect(await firstWait(500, 20)).toEqual({ waits: [[20, 'hint']], at: 20 });
  });

  it('a hint that is not a finite number >= 0 is no hint: the backoff decides', async () => {
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, '5']) {
      expect(await firstWait(70, bad)).toEqual({ waits: [[70, 'backoff']], at: 70 });
    }
  });
});

describe('retry: success and failure durations', () => {
  it('measure from the start of the execution, whichever of the two is listened to', async () => {
    for (const event of ['success', 'failure'] as const) {
      const clock = new VirtualClock();
      await clock.advance(1_000);
      const policy = retry({ backoff: constant(100), maxAttempts: 2, clock });
      const durations: number[] = [];
      policy.on(event, (payload) => durations.push(payload.duration));
      let calls = 0;
      const outcome = () => (event === 'success' ? 'ok' : Promise.reject(new Error('again')));
      const run = policy
        .execute(() => (++calls === 1 ? Promise.reject(new Error('busy')) : outcome()))
        .catch(() => 'failed');
      await clock.runAll();
      await run;
      expect(durations).toEqual([100]);
    }
  });

  it('a refused result returned when retry gives up is reported as a success', async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(10), maxAttempts: 2, clock, handleResult: (v) => v === 'busy' });
    const successes: number[] = [];
    policy.on('success', (payload) => successes.push(payload.duration));
    const run = policy.execute(() => 'busy');
    await clock.runAll();
    await expect(run).resolves.toBe('busy');
    expect(successes).toEqual([10]);
  });
});

describe('retry: its errors', () => {
  it('RetryExhaustedError says how many attempts and why, by name and code', () => {
    const error = new RetryExhaustedError('busy', 3, 'attempts');
    expect(error.message).toBe('Retry gave up after 3 attempt(s) (attempts); the last result was refused');
    expect(error.name).toBe('RetryExhaustedError');
    expect(error).toMatchObject({ code: 'RETRY_EXHAUSTED', result: 'busy', attempts: 3, reason: 'attempts' });
    expect(isRetryExhaustedError(error)).toBe(true);
  });

  it('an unknown hintMode names the option', () => {
    try {
      retry({ hintMode: 'max' as never });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe('hintMode');
    }
    expect(() => retry({ hintMode: 'floor' })).not.toThrow();
    expect(() => retry({ hintMode: 'replace' })).not.toThrow();
  });
});

describe('retry: the attempt number each call sees', () => {
  it('counts from 0 on every path, also when each attempt runs in the loop (handleResult set)', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const policy = retry({ backoff: constant(5), maxAttempts: 3, clock, handleResult: (v) => v === 'busy' });
    const run = policy.execute((context) => {
      seen.push(context.attempt);
      return seen.length < 3 ? 'busy' : 'done';
    });
    await clock.runAll();
    await expect(run).resolves.toBe('done');
    expect(seen).toEqual([0, 1, 2]);
  });

  it("is the innermost retry's own count in nested retries, whether or not anyone listens to it", async () => {
    for (const listened of [false, true]) {
      const clock = new VirtualClock();
      const inner = retry({ backoff: constant(5), maxAttempts: 2, clock });
      if (listened) inner.on('retry', () => {});
      const policy = pipeline(retry({ backoff: constant(5), maxAttempts: 2, clock }), inner);
      const seen: number[] = [];
      const run = policy
        .execute((context) => {
          seen.push(context.attempt);
          throw new Error('down');
        })
        .catch((e: unknown) => e);
      await clock.runAll();
      expect(await run).toBeInstanceOf(Error);
      // Each outer attempt runs the inner retry afresh: its first attempt is 0 again (the fast path once passed the
      // outer attempt's context through, and the function saw [0, 1, 1, 1] unless someone listened).
      expect(seen, `listened: ${listened}`).toEqual([0, 1, 0, 1]);
    }
  });
});
