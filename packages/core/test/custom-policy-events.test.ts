/**
 * A policy made by definePolicy reports `success` or `failure` to whoever listens to just that one, timed on its
 * clock from the start of its layer; a definition that is not an object is refused saying what it must hold.
 */
import { describe, expect, it } from 'vitest';
import { definePolicy, isInvalidOptionError, sleep } from '../src/index.js';
import { VirtualClock } from '../src/testing.js';
import { thrown } from './support/helpers.js';

/** A layer that waits 25 ms on the clock before passing the call on. */
function slowLayer(clock: VirtualClock) {
  return definePolicy({
    name: 'slow',
    clock,
    async run(context, next) {
      await sleep(25, context.signal, clock);
      return next(context);
    },
  });
}

describe('definePolicy: events', () => {
  it('a success listened to alone is reported with its duration on the clock', async () => {
    const clock = new VirtualClock(1_000);
    const policy = slowLayer(clock);
    const seen: unknown[] = [];
    policy.on('success', (e) => seen.push(e));
    const result = policy.execute(() => 'ok');
    await clock.advance(25);
    await expect(result).resolves.toBe('ok');
    expect(seen).toEqual([{ policy: 'slow', duration: 25 }]);
  });

  it('a failure listened to alone is reported with its error and duration on the clock', async () => {
    const clock = new VirtualClock(1_000);
    const policy = slowLayer(clock);
    const seen: unknown[] = [];
    policy.on('failure', (e) => seen.push(e));
    const error = new Error('down');
    const result = policy.execute(() => Promise.reject(error));
    result.catch(() => {});
    await clock.advance(25);
    await expect(result).rejects.toBe(error);
    expect(seen).toEqual([{ policy: 'slow', error, duration: 25 }]);
  });

  it('refuses a definition that is not an object, saying it needs a name and run', () => {
    const error = thrown(() => definePolicy(null as never));
    expect(isInvalidOptionError(error) && error.option).toBe('options');
    expect((error as Error).message).toContain('an options object with name and run');
  });
});
