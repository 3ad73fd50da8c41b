import { isTimeoutError, realClock, sleep, timeout } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { equal, isPending, ok, rejectsWith, rejectsWithValue } from '../assert.js';
import type { Suite } from '../runner.js';

const never = () => new Promise<never>(() => {});

export function registerTimeout(suite: Suite): void {
  const t = suite.group('timeout');

  t('fires at the deadline: TimeoutError, and the context signal aborts with it', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock, resolution: 0 });
    let seen: AbortSignal | undefined;
    const result = policy.execute(({ signal }) => {
      seen = signal;
      return never();
    });
    await clock.advance(999);
    ok(await isPending(result), 'not before the deadline');
    await clock.advance(1);
    const error = await rejectsWith(result, isTimeoutError, 'TimeoutError');
    ok(seen?.aborted, 'context signal aborted');
    equal(seen?.reason, error, 'the signal carries the TimeoutError');
    equal(clock.pendingTimers, 0);
  });

  t('a call that ends in time keeps its value and leaves no timer', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock });
    equal(await policy.execute(async () => 'fast'), 'fast');
    await clock.runAll();
    equal(clock.pendingTimers, 0);
  });

  t(
    'cancelled by the caller: rejects with the caller reason, no TimeoutError, no timeout event',
    async () => {
      const clock = new VirtualClock();
      const policy = timeout(1_000, { clock });
      let timeouts = 0;
      policy.on('timeout', () => timeouts++);
      const controller = new AbortController();
      let seen: AbortSignal | undefined;
      const result = policy.execute(
        ({ signal }) => {
          seen = signal;
          return never();
        },
        { signal: controller.signal },
      );
      await clock.advance(10);
      const reason = new Error('user navigated away');
      controller.abort(reason);
      await rejectsWithValue(result, reason);
      ok(seen?.aborted, 'the work is told to stop');
      await clock.runAll();
      equal(timeouts, 0);
      equal(clock.pendingTimers, 0);
    },
  );

  t('cooperative: aborts the signal and waits for the function; its error becomes the cause', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock, strategy: 'cooperative', resolution: 0 });
    const result = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => reject(new Error('stopped by signal')));
        }),
    );
    const settled = rejectsWith(result, isTimeoutError, 'TimeoutError');
    await clock.advance(100);
    const error = await settled;
    equal((error.cause as Error | undefined)?.message, 'stopped by signal');
  });

  t('fires on the real clock of this runtime', async () => {
    const error = await rejectsWith(timeout(20).execute(never), isTimeoutError, 'TimeoutError');
    equal(error.code, 'TIMEOUT');
  });

  t('real-clock sleep resolves, and rejects with the reason when aborted', async () => {
    ok(realClock.now() > 0);
    await sleep(5);
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    await rejectsWithValue(pending, reason);
  });

  t('abortOnReturn aborts the function signal once it returns, with an AbortError', async () => {
    const clock = new VirtualClock();
    let seen: AbortSignal | undefined;
    const value = await timeout(1_000, { clock, abortOnReturn: true }).execute(({ signal }) => {
      seen = signal;
      return 'done';
    });
    equal(value, 'done');
    ok(seen?.aborted, 'signal aborted after the return');
    equal((seen?.reason as { name?: string } | undefined)?.name, 'AbortError');
  });
}
