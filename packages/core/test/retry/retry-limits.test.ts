// Where retry's limits fall exactly: a hint equal to maxDelay, a wait that ends exactly at the deadline, the
// floor mode when hint and backoff agree, the backoff's own cap and retry count, and the giveUp payloads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Backoff,
  constant,
  exponential,
  type GiveUpEvent,
  listBackoff,
  type RetryEvent,
  retry,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

/** Fails `failures` times with errors carrying `retryAfterMs: hint` (when given), then answers 'ok'. */
function failing(failures: number, hint?: number) {
  let calls = 0;
  const fn = (): Promise<string> => {
    calls++;
    if (calls <= failures) {
      return Promise.reject(
        Object.assign(new Error(`fail ${calls}`), hint === undefined ? {} : { retryAfterMs: hint }),
      );
    }
    return Promise.resolve('ok');
  };
  return { fn, calls: () => calls };
}

function record(policy: ReturnType<typeof retry>) {
  const retries: RetryEvent[] = [];
  const giveUps: GiveUpEvent[] = [];
  policy.on('retry', (event) => retries.push(event));
  policy.on('giveUp', (event) => giveUps.push(event));
  return { retries, giveUps };
}

describe('retry: a hint at the limits', () => {
  it('waits a hint exactly maxDelay long; one ms longer gives up at once (hintTooLong)', async () => {
    const clock = new VirtualClock();
    const accepted = retry({ maxDelay: 1_000, clock });
    const seen = record(accepted);
    const run = accepted.execute(failing(1, 1_000).fn);
    await clock.runAll();
    await expect(run).resolves.toBe('ok');
    expect(seen.retries.map((e) => [e.delay, e.delaySource])).toEqual([[1_000, 'hint']]);

    const refused = retry({ maxDelay: 1_000, clock });
    const refusedSeen = record(refused);
    const { fn, calls } = failing(1, 1_001);
    await expect(refused.execute(fn)).rejects.toThrow('fail 1');
    expect(calls()).toBe(1);
    expect(refusedSeen.giveUps).toHaveLength(1);
    expect(refusedSeen.giveUps[0]).toMatchObject({ policy: 'retry', reason: 'hintTooLong', attempts: 1 });
  });

  it("in 'floor' mode, a hint equal to the backoff's delay is the backoff's; a longer one is the hint's", async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(300), hintMode: 'floor', maxAttempts: 3, clock });
    const seen = record(policy);
    let calls = 0;
    const run = policy.execute(() => {
      calls++;
      const hint = calls === 1 ? 300 : 301;
      return calls <= 2 ? Promise.reject(Object.assign(new Error('busy'), { retryAfterMs: hint })) : 'ok';
    });
    await clock.runAll();
    await expect(run).resolves.toBe('ok');
    expect(seen.retries.map((e) => [e.delay, e.delaySource])).toEqual([
      [300, 'backoff'],
      [301, 'hint'],
    ]);
    expect(clock.now()).toBe(601);
  });
});

describe('retry: the deadline', () => {
  it('gives up when the wait would end exactly at the deadline; waits when it ends 1 ms before', async () => {
    const clock = new VirtualClock();
    const late = retry({ backoff: constant(100), clock });
    const lateSeen = record(late);
    await expect(late.execute(failing(1).fn, { deadline: 100 })).rejects.toThrow('fail 1');
    expect(lateSeen.giveUps.map((e) => [e.reason, e.attempts])).toEqual([['deadline', 1]]);
    expect(lateSeen.retries).toHaveLength(0);

    const inTime = retry({ backoff: constant(100), clock });
    const run = inTime.execute(failing(1).fn, { deadline: 101 });
    await clock.runAll();
    await expect(run).resolves.toBe('ok');
  });
});

describe('retry: what the backoff declares', () => {
  it('cuts each delay to the smaller of maxDelay and the backoff maxDelay', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        async (max, own) => {
          const clock = new VirtualClock();
          // A backoff that declares `own` as its cap but asks for more.
          const greedy: Backoff = {
            maxDelay: own,
            start: () => ({ next: () => 10_000 }),
            delays: () => [],
          };
          const policy = retry({ backoff: greedy, maxDelay: max, maxAttempts: 2, clock });
          const seen = record(policy);
          const run = policy.execute(failing(1).fn);
          await clock.runAll();
          await expect(run).resolves.toBe('ok');
          expect(seen.retries[0]!.delay).toBe(Math.min(max, own));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a delay the backoff gives that is not a number >= 0 counts as the cap', async () => {
    for (const bad of [Number.NaN, -1, 'soon']) {
      const clock = new VirtualClock();
      const odd: Backoff = { maxDelay: 700, start: () => ({ next: () => bad as number }), delays: () => [] };
      const policy = retry({ backoff: odd, maxDelay: 1_000, clock });
      const seen = record(policy);
      const run = policy.execute(failing(1).fn);
      await clock.runAll();
      await expect(run).resolves.toBe('ok');
      expect(seen.retries[0]!.delay).toBe(700);
    }
  });

  it('lowers maxAttempts to the retries a stopping list allows, plus one', async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: listBackoff([10, 20], { exhausted: 'stop' }), maxAttempts: 10, clock });
    const seen = record(policy);
    const { fn, calls } = failing(5);
    const rejected = expect(policy.execute(fn)).rejects.toThrow('fail 3');
    await clock.runAll();
    await rejected;
    expect(calls()).toBe(3);
    expect(seen.retries.map((e) => [e.attempt, e.delay])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    expect(seen.giveUps.map((e) => [e.reason, e.attempts])).toEqual([['attempts', 3]]);
  });

  it('keeps maxAttempts when it is below what the backoff allows', async () => {
    const clock = new VirtualClock();
    const policy = retry({
      backoff: listBackoff([10, 20, 30], { exhausted: 'stop' }),
      maxAttempts: 2,
      clock,
    });
    const { fn, calls } = failing(5);
    const rejected = expect(policy.execute(fn)).rejects.toThrow('fail 2');
    await clock.runAll();
    await rejected;
    expect(calls()).toBe(2);
  });

  it('exposes its settings: maxAttempts, backoff and maxDelay with their defaults', () => {
    const policy = retry();
    expect(policy.maxAttempts).toBe(3);
    expect(policy.maxDelay).toBe(60_000);
    expect(policy.backoff.maxDelay).toBe(30_000);
    const own = exponential({ initialDelay: 5 });
    expect(retry({ backoff: own, maxAttempts: 7, maxDelay: 9 })).toMatchObject({
      backoff: own,
      maxAttempts: 7,
      maxDelay: 9,
    });
  });
});

describe('retry: the events of each attempt', () => {
  it('numbers retries from 1, carries the failure, and giveUp the attempts made', async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(50), maxAttempts: 3, clock, name: 'api' });
    const seen = record(policy);
    const rejected = expect(policy.execute(failing(9).fn)).rejects.toThrow('fail 3');
    await clock.runAll();
    await rejected;
    expect(
      seen.retries.map((e) => [e.policy, e.attempt, e.delay, e.delaySource, (e.error as Error).message]),
    ).toEqual([
      ['api', 1, 50, 'backoff', 'fail 1'],
      ['api', 2, 50, 'backoff', 'fail 2'],
    ]);
    expect(seen.giveUps).toHaveLength(1);
    expect(seen.giveUps[0]).toMatchObject({ policy: 'api', reason: 'attempts', attempts: 3 });
    expect((seen.giveUps[0] as { error: Error }).error.message).toBe('fail 3');
  });

  it('a result refused by handleResult: retried, then returned as is with a giveUp carrying it', async () => {
    const clock = new VirtualClock();
    const policy = retry({ backoff: constant(10), maxAttempts: 2, clock, handleResult: (v) => v === 'busy' });
    const seen = record(policy);
    const run = policy.execute(() => 'busy');
    await clock.runAll();
    await expect(run).resolves.toBe('busy');
    expect(seen.retries.map((e) => (e as { result?: unknown }).result)).toEqual(['busy']);
    expect(seen.giveUps[0]).toMatchObject({ reason: 'attempts', attempts: 2, result: 'busy' });
  });
});
