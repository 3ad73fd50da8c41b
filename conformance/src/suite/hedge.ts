import { hedge } from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { deepEqual, equal, ok, rejectsWithValue } from '../assert.js';
import type { Suite } from '../runner.js';

export function registerHedge(suite: Suite): void {
  const t = suite.group('hedge');

  t('a slow primary is hedged after delay; the first success wins and the loser is aborted', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, maxHedges: 1, clock });
    const signals: AbortSignal[] = [];
    const result = policy.execute(({ signal, hedge: n }) => {
      signals.push(signal);
      return n === 0 ? new Promise<string>(() => {}) : Promise.resolve(`hedge ${n}`);
    });
    await clock.advance(99);
    equal(signals.length, 1, 'no hedge before the delay');
    await clock.advance(1);
    equal(await result, 'hedge 1');
    ok(signals[0]?.aborted, 'the primary is told to stop');
    equal((signals[0]?.reason as DOMException | undefined)?.name, 'AbortError');
    equal(clock.pendingTimers, 0);
  });

  t('a fast primary starts no hedge and leaves nothing scheduled', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    let hedges = 0;
    policy.on('hedge', () => hedges++);
    equal(await policy.execute(async () => 'primary'), 'primary');
    equal(hedges, 0);
    equal(clock.pendingTimers, 0);
  });

  t('a failure starts the next hedge at once; all failing rejects with the last error', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 1_000, maxHedges: 2, clock });
    const started: number[] = [];
    const errors = [new Error('e0'), new Error('e1'), new Error('e2')];
    const result = policy.execute(({ hedge: n }) => {
      started.push(n);
      return Promise.reject(errors[n]);
    });
    await rejectsWithValue(result, errors[2]);
    deepEqual(started, [0, 1, 2]);
  });
}
