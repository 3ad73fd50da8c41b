import { describe, expect, it } from 'vitest';
import {
  type EvictionReason,
  isInvalidOptionError,
  keyedPolicy,
  PolicyBase,
  retry,
} from '../../src/index.js';
import { RUN } from '../../src/policy.js';
import { VirtualClock } from '../../src/testing.js';
import { deferred, thrown } from '../support/helpers.js';

function registry(options: { maxKeys?: number; idleTtl?: number; clock?: VirtualClock } = {}) {
  const evicted: Array<[string, EvictionReason]> = [];
  const keyed = keyedPolicy((_key: string) => retry({ maxAttempts: 1 }), {
    ...options,
    onEvict: (_policy, key, reason) => evicted.push([key, reason]),
  });
  return { keyed, evicted };
}

describe('keyedPolicy.attach: what setup returns', () => {
  it('a setup returning nothing or a non-function leaves nothing to call on removal or eviction', () => {
    const { keyed } = registry();
    keyed.get('a');
    const none = keyed.attach(() => {});
    const odd = keyed.attach(() => 5 as never);
    expect(() => none()).not.toThrow();
    expect(() => keyed.delete('a')).not.toThrow();
    keyed.get('b');
    expect(() => odd()).not.toThrow();
  });

  it("each key's remover runs once: on the subscription's removal, not again when the key leaves", () => {
    const { keyed } = registry();
    const removed: string[] = [];
    keyed.get('a');
    const remove = keyed.attach((_policy, key) => () => removed.push(key));
    remove();
    remove();
    keyed.delete('a');
    expect(removed).toEqual(['a']);
  });

  it('a setup that throws for a held key detaches what it attached to the others, and is not kept', () => {
    const { keyed } = registry();
    keyed.get('a');
    keyed.get('b');
    const removed: string[] = [];
    const error = thrown(() =>
      keyed.attach((_policy, key) => {
        if (key === 'b') throw new Error('no b');
        return () => removed.push(key);
      }),
    );
    expect((error as Error).message).toBe('no b');
    expect(removed).toEqual(['a']);
    keyed.get('c');
    expect(removed).toEqual(['a']);
  });

  it('refuses a setup that is not a function, naming it', () => {
    const error = thrown(() => registry().keyed.attach(5 as never));
    expect(isInvalidOptionError(error) && error.option).toBe('setup');
  });
});

describe('keyedPolicy: a key is released however its execution ends', () => {
  it('a rejected execution leaves its key idle and evictable', async () => {
    const { keyed, evicted } = registry({ maxKeys: 1 });
    await expect(keyed.execute('a', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    keyed.get('b');
    expect(evicted).toEqual([['a', 'lru']]);
  });

  it('a policy whose RUN throws synchronously rejects the execution and releases the key', async () => {
    class Throwing extends PolicyBase {
      [RUN](): Promise<unknown> {
        throw new Error('sync');
      }
    }
    const evicted: string[] = [];
    const keyed = keyedPolicy((_key: string) => new Throwing('throwing'), {
      maxKeys: 1,
      onEvict: (_policy, key) => evicted.push(key),
    });
    await expect(keyed.execute('a', () => 1)).rejects.toThrow('sync');
    keyed.get('b');
    expect(evicted).toEqual(['a']);
  });

  it('an idle key built while every other key was busy goes as soon as another execution starts', async () => {
    const clock = new VirtualClock();
    const { keyed, evicted } = registry({ maxKeys: 1, clock });
    const gate = deferred();
    const first = keyed.execute('a', () => gate.promise);
    keyed.get('b');
    expect(keyed.size).toBe(2);
    const second = keyed.execute('a', () => 'again');
    expect(evicted).toEqual([['b', 'lru']]);
    gate.resolve();
    await Promise.all([first, second]);
  });

  it('deleting one key keeps the sweep timer for the other idle keys', async () => {
    const clock = new VirtualClock();
    const { keyed, evicted } = registry({ idleTtl: 1_000, clock });
    keyed.get('a');
    await clock.advance(500);
    keyed.get('b');
    keyed.delete('a');
    await clock.advance(1_000);
    expect(evicted).toEqual([
      ['a', 'deleted'],
      ['b', 'idle'],
    ]);
  });

  it('a factory returning undefined is refused as no policy', () => {
    const keyed = keyedPolicy(() => undefined as never);
    const error = thrown(() => keyed.get('a'));
    expect(isInvalidOptionError(error) && error.message).toBe(
      'Invalid option "factory": expected it to return a Bulwark policy, got undefined',
    );
  });
});
