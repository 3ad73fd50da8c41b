import { flushMicrotasks, seededRandom, VirtualClock } from '@bulwark/core/testing';
import { deepEqual, equal, ok } from '../assert.js';
import type { Suite } from '../runner.js';

export function registerVirtualClock(suite: Suite): void {
  const t = suite.group('VirtualClock');

  t('fires timers in due order, ties in creation order, moving time to each', async () => {
    const clock = new VirtualClock(1_000);
    const fired: string[] = [];
    clock.setTimer(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimer(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimer(() => fired.push(`c@${clock.now()}`), 20);
    equal(clock.nextDue, 1_010);
    await clock.advance(15);
    deepEqual(fired, ['a@1010']);
    equal(clock.now(), 1_015);
    await clock.advanceTo(1_020);
    deepEqual(fired, ['a@1010', 'b@1020', 'c@1020']);
    equal(clock.pendingTimers, 0);
    equal(clock.nextDue, undefined);
  });

  t('runs promise continuations between timers', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    clock.setTimer(() => {
      order.push('timer 1');
      void Promise.resolve()
        .then(() => order.push('continuation 1'))
        .then(() => order.push('continuation 2'));
    }, 5);
    clock.setTimer(() => order.push('timer 2'), 5);
    await clock.runAll();
    deepEqual(order, ['timer 1', 'continuation 1', 'continuation 2', 'timer 2']);
  });

  t('clearTimer removes a timer; Infinity never fires; runAll is bounded', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    const handle = clock.setTimer(() => fired++, 10);
    clock.setTimer(() => fired++, Number.POSITIVE_INFINITY);
    clock.clearTimer(handle);
    await clock.runAll();
    equal(fired, 0);
    const loop = (): void => void clock.setTimer(loop, 1);
    loop();
    let error: unknown;
    await clock.runAll(50).catch((caught: unknown) => (error = caught));
    ok(
      error instanceof Error && /more than 50 timers/.test(error.message),
      'a self-rescheduling timer is caught',
    );
  });

  t('flushMicrotasks lets long promise chains finish', async () => {
    let steps = 0;
    let chain = Promise.resolve();
    for (let i = 0; i < 100; i++) chain = chain.then(() => void steps++);
    await flushMicrotasks();
    equal(steps, 100);
  });

  t('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 1_000 }, () => a());
    deepEqual(
      Array.from({ length: 1_000 }, () => b()),
      first,
    );
    ok(first.every((value) => value >= 0 && value < 1));
    // Integer arithmetic only (mulberry32): the same numbers in every runtime.
    const one = seededRandom(1);
    deepEqual([one(), one(), one()], [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });
}
