/**
 * `@bulwark/core/testing` must run outside Node: no Node-only global such as `setImmediate`. A child process
 * removes them before loading the built module, then drives policies on a VirtualClock.
 */
import { describe, expect, it } from 'vitest';
import { runScript } from '../support/child-process.js';

const SCENARIO = `
  const clock = new testing.VirtualClock();
  const policy = core.pipeline(
    core.retry({ maxAttempts: 3, backoff: core.constant(1_000), clock }),
    core.timeout(500, { clock }),
  );
  let calls = 0;
  // Chains of continuations between timers: they must all run before the clock moves on.
  const result = policy.execute(async () => {
    calls++;
    await null;
    await Promise.resolve();
    if (calls < 3) throw new Error('flaky');
    return 'ok';
  });
  await clock.advance(2_000);
  console.log(await result, calls, clock.now());`;

describe('@bulwark/core/testing without Node-only globals', () => {
  it('works without setImmediate (MessageChannel, as in browsers and Deno)', async () => {
    const exit = await runScript(SCENARIO, {
      prelude: 'delete globalThis.setImmediate; delete globalThis.clearImmediate;',
    });
    expect(exit.stderr).toBe('');
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('ok 3 2000');
  });

  it('works with neither setImmediate nor MessageChannel (setTimeout)', async () => {
    const exit = await runScript(SCENARIO, {
      prelude:
        'delete globalThis.setImmediate; delete globalThis.clearImmediate; delete globalThis.MessageChannel;',
    });
    expect(exit.stderr).toBe('');
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('ok 3 2000');
  });
});
