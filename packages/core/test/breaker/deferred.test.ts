import { describe, expect, it } from 'vitest';
import { circuitBreaker, countWindow } from '../../src/breaker/index.js';
import { VirtualClock } from '../../src/testing.js';

describe('deferred outcomes count like returned ones', () => {
  // Two failures and a success, then a fourth call that succeeds: the window reaches minimumCalls with half of it
  // failed, which opens the circuit whether the success was returned or reported later.
  const run = async (report: 'returned' | 'recordSuccess') => {
    const breaker = circuitBreaker({
      clock: new VirtualClock(),
      strategy: countWindow({ size: 4, minimumCalls: 4, failureRatio: 0.5 }),
      deferResult: (value) => value === 'stream',
    });
    for (let i = 0; i < 2; i++)
      await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    await breaker.execute(() => 'ok');
    expect(breaker.state).toBe('closed');
    if (report === 'returned') await breaker.execute(() => 'ok');
    else {
      await breaker.execute(() => 'stream');
      expect(breaker.state).toBe('closed'); // no verdict yet
      breaker.recordSuccess();
    }
    return breaker.state;
  };

  it('a success that completes the window with the failure ratio reached opens the circuit', async () => {
    expect(await run('returned')).toBe('open');
    expect(await run('recordSuccess')).toBe('open');
  });
});
