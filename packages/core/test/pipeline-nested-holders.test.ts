/**
 * A slot holder inside a nested pipeline holds its slot for the layers that follow that pipeline in the outer
 * one: `pipeline(pipeline(bulkhead), timeout)` keeps the bulkhead's slot taken while work the timeout gave up on
 * still runs, exactly as `pipeline(bulkhead, timeout)` does (cross-cutting/stragglers.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { bulkhead, pipeline, sleep, TimeoutError, timeout } from '../src/index.js';
import { VirtualClock } from '../src/testing.js';

describe('slot holders of a nested pipeline', () => {
  it.each([
    [
      'flat',
      (limit: ReturnType<typeof bulkhead>, clock: VirtualClock) =>
        pipeline(limit, timeout(100, { clock, resolution: 0 })),
    ],
    [
      'nested',
      (limit: ReturnType<typeof bulkhead>, clock: VirtualClock) =>
        pipeline(pipeline(limit), timeout(100, { clock, resolution: 0 })),
    ],
    [
      'nested twice, with more layers',
      (limit: ReturnType<typeof bulkhead>, clock: VirtualClock) =>
        pipeline(
          pipeline(pipeline(limit), timeout(5_000, { clock, resolution: 0 })),
          timeout(100, { clock, resolution: 0 }),
        ),
    ],
  ])('%s: work a later timeout gave up on keeps the bulkhead slot until it settles', async (_, make) => {
    const clock = new VirtualClock();
    const limit = bulkhead({ maxConcurrent: 1, maxQueue: 5, clock });
    const policy = make(limit, clock);
    let running = 0;
    let most = 0;
    // Ignores its signal: it runs its full second after its caller was released.
    const stubborn = async () => {
      running++;
      most = Math.max(most, running);
      await sleep(1_000, undefined, clock);
      running--;
      return 'late';
    };
    const first = policy.execute(stubborn).catch((error: unknown) => error);
    const second = policy.execute(stubborn).catch((error: unknown) => error);
    await clock.advance(100);
    expect(await first).toBeInstanceOf(TimeoutError);
    expect(limit.executing).toBe(1);
    expect(running).toBe(1);
    await clock.advance(900);
    // The first call's work settled: the slot passes to the queued caller, never two at once.
    expect(limit.executing).toBe(1);
    await clock.runAll();
    expect(await second).toBeInstanceOf(TimeoutError);
    expect(most).toBe(1);
    expect(limit.executing).toBe(0);
  });
});
