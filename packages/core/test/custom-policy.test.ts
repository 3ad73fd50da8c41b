/**
 * Policies written outside the library, through the public API only (definePolicy, or PolicyBase with RUN and
 * HOLD), compose in pipelines with the guarantees of the built-in ones: the caller's abort wins, timeouts and
 * deadlines reach them, retries and hedges show in their context, and their events reach a pipeline's listeners.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  BulwarkError,
  type Clock,
  CustomPolicy,
  constant,
  definePolicy,
  fallback,
  HOLD,
  hedge,
  InvalidOptionError,
  keyedPolicy,
  type Next,
  PolicyBase,
  type PolicyContext,
  type PolicyEvents,
  pipeline,
  RUN,
  retry,
  type SlotHolder,
  sleep,
  TimeoutError,
  timeout,
} from '../src/index.js';
import { flushMicrotasks, VirtualClock } from '../src/testing.js';
import { abortListeners, stateOf } from './support/helpers.js';

/** Logs what each pass through it saw and how it ended, in virtual ms. */
function logAndTime(clock: Clock, log: string[]) {
  return definePolicy({
    name: 'logAndTime',
    clock,
    async run(context, next) {
      const started = clock.now();
      const seen = `attempt ${context.attempt} hedge ${context.hedge} deadline ${context.deadline}`;
      try {
        const value = await next(context);
        log.push(`${seen}: ok after ${clock.now() - started}`);
        return value;
      } catch (error) {
        log.push(`${seen}: ${(error as Error).name} after ${clock.now() - started}`);
        throw error;
      }
    },
  });
}

class CoolingDownError extends Error {
  override readonly name = 'CoolingDownError';
  constructor(readonly retryAfterMs: number) {
    super(`cooling down for ${retryAfterMs} ms`);
  }
}

/** A circuit of one: after a failure, refuses every call for `coolDown` ms. */
function oneStrike(clock: Clock, coolDown: number) {
  let openUntil = Number.NEGATIVE_INFINITY;
  return definePolicy<never, 'rejected'>({
    name: 'oneStrike',
    clock,
    async run(context, next, policy) {
      const now = clock.now();
      if (now < openUntil) {
        const retryAfterMs = openUntil - now;
        if (policy.events.listens('rejected')) {
          policy.events.emit('rejected', { policy: policy.name, reason: 'circuitOpen', retryAfterMs });
        }
        throw new CoolingDownError(retryAfterMs);
      }
      try {
        return await next(context);
      } catch (error) {
        // The caller's own abort says nothing about the service.
        if (!context.aborted) openUntil = clock.now() + coolDown;
        throw error;
      }
    },
  });
}

/**
 * One function at a time, the others waiting in order: a slot holder, so work a timeout inside it left running
 * keeps the slot until it really settles.
 */
class OneAtATime extends PolicyBase<never, 'success' | 'failure'> implements SlotHolder {
  running = 0;
  readonly waiting: Array<() => void> = [];

  constructor(private readonly clock: Clock) {
    super('oneAtATime');
  }

  [RUN](context: PolicyContext, next: Next): Promise<unknown> {
    if (context.aborted) return Promise.reject(context.reason);
    if (this.running === 0 && this.waiting.length === 0) return this.runInSlot(context, next);
    return this.waitTurn(context).then(() => this.runInSlot(context, next));
  }

  [HOLD](work: Promise<unknown>): void {
    this.running++;
    work.then(this.release, this.release);
  }

  private runInSlot(context: PolicyContext, next: Next): Promise<unknown> {
    this.running++;
    const work = this.runReported(context, next, this.clock, this.clock.now());
    work.then(this.release, this.release);
    return work;
  }

  private waitTurn(context: PolicyContext): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        unsubscribe();
        resolve();
      };
      this.waiting.push(wake);
      const unsubscribe = context.subscribe((reason) => {
        this.waiting.splice(this.waiting.indexOf(wake), 1);
        reject(reason);
      });
    });
  }

  private readonly release = (): void => {
    if (--this.running === 0) this.waiting.shift()?.();
  };
}

/** A function that ignores its signal and answers after `ms` on `clock`. */
function stubborn(clock: VirtualClock, ms: number) {
  const stats = { started: 0, running: 0, most: 0 };
  const fn = async (): Promise<string> => {
    stats.started++;
    stats.most = Math.max(stats.most, ++stats.running);
    try {
      await sleep(ms, undefined, clock);
      return 'late value';
    } finally {
      stats.running--;
    }
  };
  return { fn, stats };
}

describe('definePolicy', () => {
  it('composes with retry and timeout: it sees every attempt, its timeout and the retry deadline', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const policy = pipeline(
      retry({ maxAttempts: 3, backoff: constant(10), clock }),
      logAndTime(clock, log),
      timeout(100, { clock, resolution: 0 }),
    );
    const result = policy.execute(({ attempt }) => (attempt < 2 ? new Promise(() => {}) : 'third'), {
      deadline: 1_000,
    });
    await clock.runAll();
    await expect(result).resolves.toBe('third');
    expect(log).toEqual([
      'attempt 0 hedge 0 deadline 1000: TimeoutError after 100',
      'attempt 1 hedge 0 deadline 1000: TimeoutError after 100',
      'attempt 2 hedge 0 deadline 1000: ok after 0',
    ]);
  });

  it('inside a timeout, sees its deadline and its abort; the function sees the same signal', async () => {
    const clock = new VirtualClock(50);
    const seen: unknown[] = [];
    const watcher = definePolicy({
      name: 'watcher',
      async run(context, next) {
        seen.push(context.deadline, context.canAbort, context.aborted);
        const stop = context.subscribe((reason) => seen.push(reason));
        try {
          return await next(context);
        } finally {
          stop();
          seen.push(context.aborted);
        }
      },
    });
    const policy = pipeline(timeout(100, { clock, resolution: 0, strategy: 'cooperative' }), watcher);
    let signal: AbortSignal | undefined;
    const result = policy.execute(
      (context) =>
        new Promise((_, reject) => {
          signal = context.signal;
          context.signal.addEventListener('abort', () => reject(context.signal.reason));
        }),
    );
    result.catch(() => {});
    await clock.advance(100);
    await expect(result).rejects.toBeInstanceOf(TimeoutError);
    expect(seen[0]).toBe(150);
    expect(seen.slice(1, 3)).toEqual([true, false]);
    expect(seen[3]).toBeInstanceOf(TimeoutError);
    expect(seen[4]).toBe(true);
    expect(signal?.reason).toBe(seen[3]);
  });

  it('subscribe on a context nothing can abort does nothing', async () => {
    const seen: unknown[] = [];
    const policy = definePolicy({
      name: 'plain',
      run(context, next) {
        seen.push(context.canAbort);
        context.subscribe(() => seen.push('aborted'))();
        return next(context);
      },
    });
    await expect(policy.execute(() => 'v')).resolves.toBe('v');
    expect(seen).toEqual([false]);
  });

  it("the caller's abort wins, even over a layer that ignores it; no listener stays on the signal", async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const deaf = definePolicy({
      name: 'deaf',
      run: async (context, next) => {
        // Waits out its own delay whatever happens: the caller must not wait with it.
        await sleep(1_000, undefined, clock);
        return next(context);
      },
    });
    const policy = pipeline(
      retry({ maxAttempts: 5, backoff: constant(10), clock }),
      logAndTime(clock, log),
      deaf,
    );
    const controller = new AbortController();
    let calls = 0;
    const result = policy.execute(
      () => {
        calls++;
        return 'never called';
      },
      { signal: controller.signal },
    );
    result.catch(() => {});
    await clock.advance(10);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(abortListeners(controller.signal)).toBe(0);
    await clock.runAll();
    // The deaf layer went on and called the function once; retry did not try again after the abort.
    expect(calls).toBe(1);
    expect(log).toEqual(['attempt 0 hedge 0 deadline undefined: ok after 1000']);
  });

  it('a circuit of one: retry waits out its cool-down through the error’s retryAfterMs; events reach the pipeline', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      retry({ maxAttempts: 4, backoff: constant(10), clock }),
      oneStrike(clock, 300),
      timeout(100, { clock, resolution: 0 }),
    );
    const events: string[] = [];
    policy.on('rejected', (e) => events.push(`rejected by ${e.policy}: ${e.reason}, ${e.retryAfterMs} ms`));
    policy.on('retry', (e) => events.push(`retry ${e.attempt} after ${e.delay} (${e.delaySource})`));
    policy.on('failure', (e) => events.push(`failure in ${e.policy} after ${e.duration}`));
    policy.on('success', (e) => events.push(`success in ${e.policy} after ${e.duration}`));
    const starts: number[] = [];
    const result = policy.execute(() => {
      starts.push(clock.now());
      return starts.length === 1 ? new Promise(() => {}) : 'second';
    });
    await clock.runAll();
    await expect(result).resolves.toBe('second');
    // Timed out at 100, refused at 110 (290 ms of cool-down left), admitted at 400.
    expect(starts).toEqual([0, 400]);
    expect(events).toEqual([
      'failure in timeout after 100',
      'failure in oneStrike after 100',
      'retry 1 after 10 (backoff)',
      'rejected by oneStrike: circuitOpen, 290 ms',
      'failure in oneStrike after 0',
      'retry 2 after 290 (hint)',
      'success in timeout after 0',
      'success in oneStrike after 0',
      'success in retry after 400',
    ]);
  });

  it('under a hedge, each attempt passes through it with its own hedge number', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const policy = pipeline(hedge({ delay: 50, maxHedges: 1, clock }), logAndTime(clock, log));
    const result = policy.execute(async ({ hedge: n, signal }) => {
      await sleep(n === 0 ? 200 : 10, signal, clock);
      return `attempt of hedge ${n}`;
    });
    await clock.runAll();
    await expect(result).resolves.toBe('attempt of hedge 1');
    expect(log).toEqual([
      'attempt 0 hedge 1 deadline undefined: ok after 10',
      'attempt 0 hedge 0 deadline undefined: AbortError after 60',
    ]);
  });

  it('may answer with a value of its own; the pipeline types it', async () => {
    const cache = new Map<string, string>([['k', 'cached']]);
    const fromCache = definePolicy<string>({
      name: 'fromCache',
      run: (context, next) => (context.attempt === 0 && cache.has('k') ? cache.get('k') : next(context)),
    });
    const policy = pipeline(fallback({ fallback: () => 0 }), fromCache);
    const result = policy.execute(() => true);
    expectTypeOf(result).toEqualTypeOf<Promise<boolean | string | number>>();
    await expect(result).resolves.toBe('cached');
  });

  it('calls run as a method of its definition, with the policy for its events', async () => {
    const definition = {
      name: 'self',
      prefix: 'ran',
      run(this: { prefix: string }, context: PolicyContext, next: Next, policy: CustomPolicy) {
        return Promise.resolve(next(context)).then((value) => `${this.prefix} ${value} in ${policy.name}`);
      },
    };
    const policy = definePolicy(definition);
    expect(policy).toBeInstanceOf(CustomPolicy);
    expect(policy.name).toBe('self');
    await expect(policy.execute(() => 'fn')).resolves.toBe('ran fn in self');
  });

  it('a synchronous throw in run becomes a rejection, reported as a failure when listened to', async () => {
    // On a virtual clock: the reported duration is exact, not the real time the machine took.
    const broken = definePolicy({
      name: 'broken',
      clock: new VirtualClock(),
      run() {
        throw new Error('sync');
      },
    });
    const outcome = broken.execute(() => 'v');
    await expect(outcome).rejects.toThrow('sync');
    const failures: PolicyEvents['failure'][0][] = [];
    broken.on('failure', (e) => failures.push(e));
    await expect(pipeline(broken).execute(() => 'v')).rejects.toThrow('sync');
    expect(failures).toMatchObject([{ policy: 'broken', duration: 0 }]);
  });

  it('refuses a bad definition with InvalidOptionError naming the field', () => {
    const run = (context: PolicyContext, next: Next) => next(context);
    const cases: Array<[unknown, string]> = [
      [undefined, 'options'],
      [null, 'options'],
      [{ run }, 'name'],
      [{ name: '', run }, 'name'],
      [{ name: 'x' }, 'run'],
      [{ name: 'x', run: 'no' }, 'run'],
      [{ name: 'x', run, clock: {} }, 'clock'],
    ];
    for (const [definition, option] of cases) {
      expect(() => definePolicy(definition as never)).toThrow(InvalidOptionError);
      try {
        definePolicy(definition as never);
      } catch (error) {
        expect((error as InvalidOptionError).option).toBe(option);
        expect(error).toBeInstanceOf(BulwarkError);
      }
    }
  });

  it('per-policy events: a defined policy only offers success and failure unless it says more', () => {
    const plain = definePolicy({ name: 'plain', run: (context, next) => next(context) });
    plain.on('success', (e) => expectTypeOf(e.duration).toBeNumber());
    // @ts-expect-error a policy made by definePolicy does not emit retry events
    plain.on('retry', () => {});
    const loud = definePolicy<never, 'success' | 'failure' | 'rejected'>({
      name: 'loud',
      run: (context, next) => next(context),
    });
    loud.on('rejected', () => {});
  });
});

describe('a policy extending PolicyBase', () => {
  it('runs one function at a time and is told of work a timeout inside it left running', async () => {
    const clock = new VirtualClock();
    const gate = new OneAtATime(clock);
    const policy = pipeline(gate, timeout(100, { clock, resolution: 0 }));
    const { fn, stats } = stubborn(clock, 1_000);
    const first = policy.execute(fn);
    const second = policy.execute(fn);
    first.catch(() => {});
    second.catch(() => {});
    await clock.advance(100);
    await expect(first).rejects.toBeInstanceOf(TimeoutError);
    // The first function still runs: the slot is still taken and the second caller still waits.
    expect(stats).toMatchObject({ started: 1, running: 1 });
    expect(gate.running).toBe(1);
    expect(gate.waiting).toHaveLength(1);
    await clock.advance(900);
    await flushMicrotasks();
    expect(stats.started).toBe(2);
    await clock.runAll();
    await expect(second).rejects.toBeInstanceOf(TimeoutError);
    expect(stats.most).toBe(1);
    await clock.runAll();
    expect(gate.running).toBe(0);
  });

  it("a waiting caller's abort takes it out of the line at once, with the caller's reason", async () => {
    const clock = new VirtualClock();
    const gate = new OneAtATime(clock);
    const failures: unknown[] = [];
    gate.on('failure', (e) => failures.push(e.error));
    const { fn } = stubborn(clock, 100);
    const first = gate.execute(fn);
    const controller = new AbortController();
    const second = gate.execute(fn, { signal: controller.signal });
    second.catch(() => {});
    await flushMicrotasks();
    expect(gate.waiting).toHaveLength(1);
    controller.abort(new Error('no longer needed'));
    await expect(second).rejects.toThrow('no longer needed');
    expect(gate.waiting).toHaveLength(0);
    expect(abortListeners(controller.signal)).toBe(0);
    await clock.runAll();
    await expect(first).resolves.toBe('late value');
    expect(failures).toEqual([]);
  });

  it('composes in a keyed registry, which keeps its key while left work runs', async () => {
    const clock = new VirtualClock();
    const gates = new Map<string, OneAtATime>();
    const registry = keyedPolicy(
      (key: string) => {
        const gate = new OneAtATime(clock);
        gates.set(key, gate);
        return pipeline(gate, timeout(100, { clock, resolution: 0 }));
      },
      { maxKeys: 1, clock },
    );
    const { fn } = stubborn(clock, 1_000);
    const first = registry.execute('a', fn);
    first.catch(() => {});
    await clock.advance(100);
    await expect(first).rejects.toBeInstanceOf(TimeoutError);
    expect(await stateOf(registry.execute('b', () => 'b'))).toBe('pending');
    // 'a' still has work running, so it was not evicted for 'b' (one key at most, beyond it while busy).
    expect(registry.keys()).toContain('a');
    await clock.runAll();
    expect(gates.get('a')!.running).toBe(0);
  });

  it('the RUN symbol is what pipeline() looks for', () => {
    const gate = new OneAtATime(new VirtualClock());
    expect(typeof gate[RUN]).toBe('function');
    expect(() => pipeline(gate)).not.toThrow();
    expect(() => pipeline({ name: 'fake' } as never)).toThrow(InvalidOptionError);
  });
});
