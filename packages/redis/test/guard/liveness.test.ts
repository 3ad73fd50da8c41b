/**
 * Whether the guard keeps a Node process alive: the timeout of a pending store call must (it has to fire when
 * nothing else runs), nothing may once the calls are answered, and probing a store that is down never does (it is
 * background work). Only a real process can tell: each case runs a script against the BUILT package (`pnpm run
 * build` first) and checks how the process ended.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const REDIS = new URL('../../dist/index.js', import.meta.url).href;

interface Exit {
  readonly code: number | null;
  readonly killed: boolean;
  readonly stdout: string;
}

/** Runs `body` as an ES module with `redis` bound to the built package; killed if it has not exited in 10 s. */
function runScript(body: string): Promise<Exit> {
  const source = `const redis = await import(${JSON.stringify(REDIS)});\n${body}`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', source],
      { timeout: 10_000, killSignal: 'SIGKILL' },
      (error, stdout) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, killed: error?.killed === true || error?.signal === 'SIGKILL', stdout });
      },
    );
  });
}

/** A store whose answers never come, holding nothing that would keep a process alive by itself. */
const HUNG_STORE = `{
  acquire: () => new Promise(() => {}),
  adjust: () => new Promise(() => {}),
  pause: () => new Promise(() => {}),
  read: () => new Promise(() => {}),
}`;

const SCOPE = `{ id: 'liveness', limits: [{ kind: 'bucket', algorithm: 'tokenBucket', name: 'b', unit: 'cost', capacity: 1, interval: 1000 }] }`;

describe('guardStore and the process', () => {
  it('a store call that never settles is answered by the fallback after its timeout, and the process exits', async () => {
    const exit = await runScript(`
      const store = redis.guardStore(${HUNG_STORE}, { callTimeoutMs: 100 });
      store.on('unavailable', (e) => console.log('unavailable', e.error.name));
      const answer = await store.acquire({ scope: ${SCOPE}, key: 'k', costs: [1], now: Date.now() });
      console.log('admitted', answer.admitted, 'available', store.available);`);
    // Probing the store that is down (every 250 ms to 10 s) does not hold the process once the script is done.
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim().split('\n')).toEqual([
      'unavailable TimeoutError',
      'admitted true available false',
    ]);
  });

  it('an answered call leaves no timer behind', async () => {
    const exit = await runScript(`
      const answered = { acquire: async () => ({ admitted: true }), adjust: async () => {}, pause: async () => {}, read: async () => ({ state: undefined, now: 0 }) };
      const store = redis.guardStore(answered, { callTimeoutMs: 60_000 });
      console.log((await store.acquire({ scope: ${SCOPE}, key: 'k', costs: [1], now: Date.now() })).admitted);`);
    // A timer left armed would hold the process for a minute: it would be killed at 10 s.
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('true');
  });
});
