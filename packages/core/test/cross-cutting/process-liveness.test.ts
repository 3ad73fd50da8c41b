/**
 * Whether a policy keeps a Node process alive: a timer that guards pending work must (a timeout has to fire even
 * when nothing else is running), and no timer may once the work is done. Only a real process can tell, so each
 * case runs a small script against the built package (`pnpm run build` first) and checks its exit code and output.
 */
import { describe, expect, it } from 'vitest';
import { runScript } from '../support/child-process.js';

/** A function that never settles and holds nothing that would keep the process alive by itself. */
const NEVER = '() => new Promise(() => {})';

describe('a pending execution keeps the process alive until its guard fires', () => {
  it('an aggressive timeout fires for a function that never settles', async () => {
    const exit = await runScript(`
      try {
        await core.timeout(50).execute(${NEVER});
        console.log('settled');
      } catch (error) {
        console.log(error.name);
      }`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('TimeoutError');
  });

  it('a cooperative timeout fires and aborts the signal the function waits on', async () => {
    const exit = await runScript(`
      const fn = ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      try {
        await core.timeout(50, { strategy: 'cooperative' }).execute(fn);
      } catch (error) {
        console.log(error.name);
      }`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('TimeoutError');
  });

  it('a bulkhead queue timeout fires while the slot is held by a function that never settles', async () => {
    const exit = await runScript(`
      const policy = core.bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 50 });
      policy.execute(${NEVER});
      try {
        await policy.execute(() => 'ran');
      } catch (error) {
        console.log(error.name, error.reason);
      }`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('BulkheadRejectedError queueTimeout');
  });

  it('a rate limiter admits a waiting call', async () => {
    const exit = await runScript(`
      const policy = core.rateLimit({ limits: core.tokenBucket({ rate: 1, per: 50 }) });
      await policy.execute(() => 'first');
      console.log(await policy.execute(() => 'second'));`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('second');
  });

  it('a retry waits out its delay', async () => {
    const exit = await runScript(`
      let calls = 0;
      const fn = () => (++calls < 2 ? Promise.reject(new Error('flaky')) : 'retried');
      console.log(await core.retry({ backoff: core.constant(50) }).execute(fn));`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('retried');
  });

  it('adaptive concurrency sends a waiting call once a refused call gave its slot back', async () => {
    // The refusal holds the only slot for one service time (50 ms): the second call waits for that, not for maxWait.
    const exit = await runScript(`
      const policy = core.adaptiveConcurrency({ initialLimit: 1, maxLimit: 1, initialRtt: 50, maxWait: Infinity });
      await policy.execute(() => Promise.reject(Object.assign(new Error('busy'), { status: 503 }))).catch(() => {});
      console.log(await policy.execute(() => 'sent'));`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('sent');
  });

  it('adaptive concurrency sends a waiting call once a delay hint paused dispatching for 50 ms', async () => {
    const exit = await runScript(`
      const policy = core.adaptiveConcurrency({ initialRtt: 1, maxWait: Infinity });
      await policy.execute(() => Promise.reject(Object.assign(new Error('busy'), { status: 429, retryAfterMs: 50 }))).catch(() => {});
      console.log(await policy.execute(() => 'sent'));`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('sent');
  });
});

describe('unref: true opts out', () => {
  it('a timeout with unref: true lets the process exit before it fires', async () => {
    // Node exits with 13 when a top-level await never settles: nothing kept the process alive for the timeout.
    const exit = await runScript(`
      try {
        await core.timeout(50, { unref: true }).execute(${NEVER});
        console.log('settled');
      } catch (error) {
        console.log(error.name);
      }`);
    expect(exit).toMatchObject({ code: 13, killed: false });
    expect(exit.stdout.trim()).toBe('');
  });
});

describe('no timer keeps the process alive once the work is done', () => {
  it('after calls through long timeouts, queue timeouts, a refusal hold and a pause', async () => {
    const exit = await runScript(`
      const limit = core.timeout(30_000);
      const cooperative = core.timeout(30_000, { strategy: 'cooperative' });
      const exact = core.timeout(30_000, { resolution: 0 });
      for (let i = 0; i < 3; i++) {
        await limit.execute(async () => i);
        await cooperative.execute(async () => i);
        await exact.execute(async () => i);
      }
      await Promise.allSettled([limit.execute(() => { throw new Error('x'); }), exact.execute(async () => 1)]);
      const bulkhead = core.bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 30_000 });
      await Promise.all([bulkhead.execute(async () => 1), bulkhead.execute(async () => 2)]);
      const concurrency = core.adaptiveConcurrency({ initialRtt: 30_000 });
      const busy = Object.assign(new Error('busy'), { status: 429, retryAfterMs: 30_000 });
      await concurrency.execute(() => Promise.reject(busy)).catch(() => {});
      const policy = core.pipeline(core.retry(), core.timeout(30_000), core.bulkhead({ maxConcurrent: 2, maxQueue: 5, queueTimeout: 30_000 }));
      await Promise.all([1, 2, 3].map((n) => policy.execute(async () => n)));
      console.log('done');`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('done');
  });
});

describe('the deadline timer holds the process exactly while a call waits for it', () => {
  it("ref'd while a call is pending, not the moment the last one settled", async () => {
    const exit = await runScript(`
      const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
      const policy = core.timeout(30_000);
      const idle = timers();
      let release;
      const calls = [policy.execute(() => new Promise((resolve) => (release = resolve))), policy.execute(async () => 2)];
      await calls[1];
      const pending = timers();
      release(1);
      await Promise.all(calls);
      console.log(idle, pending, timers());`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('0 1 0');
  });
});

describe('waits that never end', () => {
  it('realClock arms nothing for an Infinity ms timer, and sleep(Infinity) is refused', async () => {
    const exit = await runScript(`
      core.realClock.setTimer(() => console.log('fired'), Infinity);
      await core.sleep(Infinity).catch((error) => console.log(error.name));`);
    expect(exit).toMatchObject({ code: 0, killed: false });
    expect(exit.stdout.trim()).toBe('InvalidOptionError');
  });
});

describe('memory', () => {
  it("keyedPolicy: an evicted key's timeout holds no memory once its calls settled", async () => {
    // 20k keys through 100 slots, each with a 30 s timeout used once. A deadline timer left behind until it would
    // have fired keeps every evicted key's queue, bucket and timer (about 700 bytes: 14 MB here) for 30 s.
    const exit = await runScript(
      `
      const settle = async () => {
        // The last timeout buckets close within their resolution window (20 ms).
        await new Promise((resolve) => setTimeout(resolve, 100));
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 0));
        globalThis.gc();
      };
      const keyed = core.keyedPolicy(() => core.timeout(30_000), { maxKeys: 100 });
      for (let i = 0; i < 1_000; i++) await keyed.execute('warm-up' + i, async () => i);
      await settle();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 20_000; i++) await keyed.execute('key' + i, async () => i);
      await settle();
      console.log(keyed.size, Math.round((process.memoryUsage().heapUsed - before) / 1e3));`,
      { limitMs: 20_000, nodeArgs: ['--expose-gc'] },
    );
    expect(exit).toMatchObject({ code: 0, killed: false });
    const [keys, grownKb] = exit.stdout.trim().split(' ').map(Number);
    expect(keys).toBe(100);
    // Bounded by maxKeys, not by the keys seen: well under the 14 MB the 20k leftover timers would take.
    expect(grownKb).toBeLessThan(3_000);
  });
});
