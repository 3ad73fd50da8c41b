/**
 * nextEvent when its signal aborts in the middle of the very emit it listens to (an earlier listener of the same
 * event aborts it): it rejects with the signal's reason and does not look at that payload any more (its filter
 * is not called), although the emitter still calls every listener it had when the emit began.
 */
import { describe, expect, it } from 'vitest';
import { nextEvent, retry } from '../src/index.js';
import { abortListeners } from './support/helpers.js';

describe('nextEvent: aborted by an earlier listener of the same emit', () => {
  it('rejects with the reason and never filters that payload', async () => {
    const policy = retry();
    const controller = new AbortController();
    policy.on('success', () => controller.abort('seen enough'));
    let filtered = 0;
    const waiting = nextEvent(policy, 'success', {
      signal: controller.signal,
      filter: () => {
        filtered++;
        return true;
      },
    });
    await policy.execute(() => 'ok');
    await expect(waiting).rejects.toBe('seen enough');
    expect(filtered).toBe(0);
    expect(policy.events.listenerCount('success')).toBe(1);
    expect(abortListeners(controller.signal)).toBe(0);
  });
});
