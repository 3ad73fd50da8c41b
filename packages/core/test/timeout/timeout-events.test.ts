/**
 * What a timeout reports: `success` and `failure` once per execution, with the duration from the execution's start
 * on the policy's clock (whichever of the two is listened to), in both strategies; a function that settles after
 * its deadline adds nothing to what was reported.
 */
import { describe, expect, it } from 'vitest';
import { isTimeoutError, TimeoutError, timeout } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

const strategies = ['aggressive', 'cooperative'] as const;

/** A function that settles after `ms` on the clock, ignoring its signal. */
function after<T>(clock: VirtualClock, ms: number, outcome: () => T) {
  return () =>
    new Promise<T>((resolve, reject) => {
      clock.setTimer(() => {
        try {
          resolve(outcome());
        } catch (error) {
          reject(error);
        }
      }, ms);
    });
}

describe.each(strategies)('timeout (%s): success and failure events', (strategy) => {
  it('a success listened to alone reports the time from the start, on a clock that is not at 0', async () => {
    const clock = new VirtualClock(5_000);
    const policy = timeout(1_000, { clock, strategy, resolution: 0 });
    const durations: number[] = [];
    policy.on('success', (e) => durations.push(e.duration));
    const result = policy.execute(after(clock, 40, () => 'ok'));
    await clock.advance(40);
    await expect(result).resolves.toBe('ok');
    expect(durations).toEqual([40]);
  });

  it('a failure listened to alone reports its error and the time from the start', async () => {
    const clock = new VirtualClock(5_000);
    const policy = timeout(1_000, { clock, strategy, resolution: 0, name: 'call' });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e));
    const error = new Error('down');
    const result = policy.execute(
      after(clock, 70, () => {
        throw error;
      }),
    );
    result.catch(() => {});
    await clock.advance(70);
    await expect(result).rejects.toBe(error);
    expect(failures).toEqual([{ policy: 'call', error, duration: 70 }]);
  });

  it('a deadline reports one failure with the TimeoutError the caller gets, timed at the deadline', async () => {
    const clock = new VirtualClock(5_000);
    const policy = timeout(100, { clock, strategy, resolution: 0 });
    const failures: { error: unknown; duration: number }[] = [];
    const successes: number[] = [];
    policy.on('failure', (e) => failures.push({ error: e.error, duration: e.duration }));
    policy.on('success', (e) => successes.push(e.duration));
    // The function gives up at once when its signal aborts (cooperative waits for that).
    const result = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('cut')))),
    );
    const error = await Promise.all([result.catch((e: unknown) => e), clock.advance(100)]).then(([e]) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(100);
    expect(failures).toEqual([{ error, duration: 100 }]);
    expect(successes).toEqual([]);
  });
});

describe('timeout (aggressive): a caller abort caused by the deadline', () => {
  it('is reported as the timeout it follows: the failure carries the TimeoutError, once', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const policy = timeout(100, { clock, resolution: 0 });
    const failures: unknown[] = [];
    policy.on('failure', (e) => failures.push(e.error));
    const result = policy.execute(
      ({ signal }) =>
        new Promise(() => {
          // Seeing its deadline pass, the function gives up the whole operation.
          signal.addEventListener('abort', () => controller.abort('gave up after the timeout'));
        }),
      { signal: controller.signal },
    );
    result.catch(() => {});
    await clock.advance(100);
    await result.catch(() => {});
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(TimeoutError);
  });
});

describe('timeout (aggressive): a function that settles after its deadline', () => {
  for (const late of ['resolves', 'rejects'] as const) {
    it(`${late} later: the caller keeps its TimeoutError and nothing more is reported`, async () => {
      const clock = new VirtualClock();
      const policy = timeout(100, { clock, resolution: 0 });
      const seen: string[] = [];
      policy.on('success', () => seen.push('success'));
      policy.on('failure', (e) => seen.push(`failure:${(e.error as Error).name}`));
      policy.on('timeout', () => seen.push('timeout'));
      const result = policy.execute(
        after(clock, 300, () => {
          if (late === 'rejects') throw new Error('late');
          return 'late value';
        }),
      );
      result.catch(() => {});
      await clock.advance(100);
      expect(isTimeoutError(await result.catch((e: unknown) => e))).toBe(true);
      await clock.advance(500);
      expect(seen).toEqual(['timeout', 'failure:TimeoutError']);
      expect(policy.queue.size).toBe(0);
    });
  }
});

describe.each(strategies)('timeout (%s): abortOnReturn', (strategy) => {
  it("aborts the function's signal with an AbortError saying why", async () => {
    const policy = timeout(1_000, { strategy, abortOnReturn: true, clock: new VirtualClock() });
    let seen: AbortSignal | undefined;
    await policy.execute(({ signal }) => {
      seen = signal;
      return 'done';
    });
    expect((seen!.reason as DOMException).message).toBe('The function returned (abortOnReturn)');
  });
});

describe('timeout (cooperative): what the caller gets', () => {
  it("a caller abort is reported with the caller's reason, not as a timeout", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const policy = timeout(100, { clock, strategy: 'cooperative', resolution: 0 });
    const seen: unknown[] = [];
    policy.on('failure', (e) => seen.push(e.error));
    policy.on('timeout', () => seen.push('timeout'));
    const result = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('cut')))),
      { signal: controller.signal },
    );
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    await clock.advance(200);
    expect(seen).toEqual([reason]);
  });

  it('the function failing on its own, before the deadline, rejects with its own error, not a TimeoutError', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock, strategy: 'cooperative', resolution: 0 });
    const error = new Error('own');
    const result = policy.execute(
      after(clock, 10, () => {
        throw error;
      }),
    );
    result.catch(() => {});
    await clock.advance(10);
    await expect(result).rejects.toBe(error);
  });

  it('a timed-out function that fails rejects with a TimeoutError of this timeout, caused by its error', async () => {
    const clock = new VirtualClock();
    const policy = timeout(250, { clock, strategy: 'cooperative', resolution: 0 });
    const cut = new Error('cut');
    const result = policy.execute(
      ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(cut))),
    );
    result.catch(() => {});
    await clock.advance(250);
    const error = (await result.catch((e: unknown) => e)) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.timeoutMs).toBe(250);
    expect(error.cause).toBe(cut);
  });
});
