import { describe, expect, it } from 'vitest';
import {
  type Clock,
  type EvictionReason,
  isInvalidOptionError,
  keyedPolicy,
  retry,
  sleep,
} from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred, thrown } from '../support/helpers.js';

/** A clock that moves only when told, records the options of the timers set on it, and never fires them. */
function stillClock() {
  const timers: Array<{ ms: number; options: unknown }> = [];
  let time = 0;
  const clock: Clock = {
    now: () => time,
    setTimer: (_callback, ms, options) => {
      timers.push({ ms, options });
      return timers.length;
    },
    clearTimer: () => {},
  };
  return { clock, timers, set: (t: number) => (time = t) };
}

function registry(options: { idleTtl?: number; clock?: Clock; maxKeys?: number } = {}) {
  const evicted: Array<[string, EvictionReason]> = [];
  const built: string[] = [];
  const keyed = keyedPolicy(
    (key: string) => {
      built.push(key);
      return retry({ maxAttempts: 1 });
    },
    { ...options, onEvict: (_policy, key, reason) => evicted.push([key, reason]) },
  );
  return { keyed, evicted, built };
}

describe('keyedPolicy: idle keys seen without the sweep timer', () => {
  it('has, keys and get treat a key idle for idleTtl as gone, even when the timer has not fired', () => {
    const { clock, set } = stillClock();
    const { keyed, evicted, built } = registry({ idleTtl: 1_000, clock });
    const first = keyed.get('a');
    keyed.get('b');
    set(999);
    expect(keyed.has('a')).toBe(true);
    set(1_000);
    expect(keyed.has('a')).toBe(false);
    expect(evicted).toEqual([
      ['a', 'idle'],
      ['b', 'idle'],
    ]);
    keyed.get('c');
    set(2_000);
    expect(keyed.keys()).toEqual([]);
    keyed.get('d');
    set(3_000);
    expect(keyed.get('a')).not.toBe(first);
    expect(built).toEqual(['a', 'b', 'c', 'd', 'a']);
    expect(evicted.map(([key]) => key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('the sweep timer is due when the oldest idle key expires, and never holds the process', () => {
    const { clock, timers, set } = stillClock();
    const { keyed } = registry({ idleTtl: 1_000, clock });
    set(200);
    keyed.get('a');
    expect(timers).toEqual([{ ms: 1_000, options: { unref: true } }]);
  });

  it('an idleTtl of Infinity means no idle eviction and no timer', async () => {
    const clock = new VirtualClock();
    const { keyed } = registry({ idleTtl: Number.POSITIVE_INFINITY, clock });
    expect(keyed.idleTtl).toBeUndefined();
    keyed.get('a');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(1e9);
    expect(keyed.has('a')).toBe(true);
  });
});

describe('keyedPolicy: edges of an execution', () => {
  it('an execution whose signal is already aborted builds no key', async () => {
    const { keyed, built } = registry();
    const reason = new Error('gone');
    await expect(keyed.execute('a', () => 1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(built).toEqual([]);
    expect(keyed.size).toBe(0);
  });

  it('a key deleted while in flight stays deleted when the execution settles', async () => {
    const { keyed } = registry();
    const gate = deferred<string>();
    const running = keyed.execute('a', () => gate.promise);
    keyed.delete('a');
    gate.resolve('done');
    await expect(running).resolves.toBe('done');
    expect(keyed.size).toBe(0);
    expect(keyed.keys()).toEqual([]);
    expect(keyed.has('a')).toBe(false);
  });

  it('a settled key becomes the most recently used, after keys that were idle before it ran', async () => {
    const clock = new VirtualClock();
    const { keyed, evicted } = registry({ maxKeys: 2, clock });
    const running = keyed.execute('a', (ctx) => sleep(10, ctx.signal, clock));
    keyed.get('b');
    await clock.advance(10);
    await running;
    expect(keyed.keys()).toEqual(['b', 'a']);
    keyed.get('c');
    expect(evicted).toEqual([['b', 'lru']]);
  });

  it('a factory that returns no policy is refused with a message saying so', () => {
    const keyed = keyedPolicy(() => ({ execute: () => 1 }) as never);
    const error = thrown(() => keyed.get('a'));
    expect(isInvalidOptionError(error) && error.message).toBe(
      'Invalid option "factory": expected it to return a Bulwark policy, got an object',
    );
  });
});
