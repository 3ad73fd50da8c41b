import { describe, expect, it } from 'vitest';
import { constant, pipeline, retry, timeout } from '../src/index.js';
import { VirtualClock } from '../src/testing.js';

describe('smoke', () => {
  it('retries through a pipeline on a virtual clock', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(retry({ backoff: constant(100), clock }), timeout(50, { clock }));
    let calls = 0;
    const result = policy.execute(() => {
      calls++;
      if (calls < 3) throw new Error('flaky');
      return 'ok';
    });
    await clock.advance(200);
    await expect(result).resolves.toBe('ok');
    expect(calls).toBe(3);
  });
});
