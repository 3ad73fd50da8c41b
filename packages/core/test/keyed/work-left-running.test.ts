import { describe, expect, it } from 'vitest';
import { isTimeoutError, keyedPolicy, timeout } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred } from '../support/helpers.js';

describe('keyed: work a key policy left running keeps its key', () => {
  it('a key whose timed-out work still runs is not swept as idle until that work settles', async () => {
    const clock = new VirtualClock();
    const evicted: string[] = [];
    const keyed = keyedPolicy((_key: string) => timeout(50, { clock }), {
      idleTtl: 100,
      clock,
      onEvict: (_policy, key) => evicted.push(key),
    });
    const work = deferred<string>();
    const call = keyed.execute('a', () => work.promise);
    const outcome = call.then(
      () => 'resolved',
      (error: unknown) => (isTimeoutError(error) ? 'timed out' : 'other'),
    );
    // The deadline fires within its resolution after 50 ms.
    await clock.advance(60);
    expect(await outcome).toBe('timed out');
    // The caller was answered, but the function still runs: the key is busy, however long idleTtl has passed.
    await clock.advance(1_000);
    expect(keyed.has('a')).toBe(true);
    expect(evicted).toEqual([]);
    work.resolve('late');
    await work.promise;
    await Promise.resolve();
    await clock.advance(101);
    expect(keyed.has('a')).toBe(false);
    expect(evicted).toEqual(['a']);
  });
});
