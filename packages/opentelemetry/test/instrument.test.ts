import {
  adaptiveConcurrency,
  bulkhead,
  circuitBreaker,
  constant,
  consecutive,
  fallback,
  hedge,
  InvalidOptionError,
  keyedPolicy,
  pipeline,
  rateLimit,
  retry,
  sleep,
  timeout,
  tokenBucket,
} from '@bulwark/core';
import { VirtualClock } from '@bulwark/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { instrument } from '../src/index.js';
import { metricsHarness } from './support/otel.js';

const harnesses: Array<{ shutdown(): Promise<void> }> = [];
function harness() {
  const h = metricsHarness();
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.shutdown();
});

/** The attributes of executions and attempts: the pipeline's, not a layer's. */
const pipe = (pipeline: string) => ({ 'bulwark.pipeline.name': pipeline });
const base = (pipeline: string, policy: string) => ({
  'bulwark.pipeline.name': pipeline,
  'bulwark.policy.name': policy,
});

describe('instrument(pipeline): executions, attempts and retries', () => {
  it('reports one execution, its attempts by outcome and its retries, in seconds of the policy clock', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      retry({ maxAttempts: 3, backoff: constant(10), clock }),
      circuitBreaker({ clock }),
      timeout(1_000, { clock }),
    );
    const { meterProvider, collect } = harness();
    instrument(policy, { meterProvider, name: 'inventory' });

    let calls = 0;
    const answer = policy.execute(async () => {
      await sleep(5, undefined, clock);
      if (++calls < 3) throw new TypeError('fetch failed');
      return 'stock';
    });
    await clock.runAll();
    expect(await answer).toBe('stock');

    const m = await collect();
    expect(m.metrics.get('bulwark.execution.duration')?.descriptor.unit).toBe('s');
    // 3 attempts of 5 ms and 2 backoff waits of 10 ms.
    expect(
      m.histogram('bulwark.execution.duration', {
        ...pipe('inventory'),
        'bulwark.outcome': 'success',
      }),
    ).toEqual({ count: 1, sum: 0.035 });
    expect(m.points('bulwark.execution.duration')).toHaveLength(1);
    const attempt = base('inventory', 'circuitBreaker');
    expect(
      m.histogram('bulwark.attempt.duration', {
        ...pipe('inventory'),
        'bulwark.outcome': 'failure',
        'error.type': 'TypeError',
      }),
    ).toEqual({ count: 2, sum: 0.01 });
    expect(
      m.histogram('bulwark.attempt.duration', { ...pipe('inventory'), 'bulwark.outcome': 'success' }),
    ).toEqual({
      count: 1,
      sum: 0.005,
    });
    expect(m.metrics.get('bulwark.retries')?.descriptor.unit).toBe('{retry}');
    expect(
      m.value('bulwark.retries', {
        ...base('inventory', 'retry'),
        'bulwark.retry.delay_source': 'backoff',
        'error.type': 'TypeError',
      }),
    ).toBe(2);
    // The breaker's state, read at collection: closed.
    const state = (s: string) => m.value('bulwark.circuit.state', { ...attempt, 'bulwark.circuit.state': s });
    expect([state('closed'), state('open'), state('halfOpen'), state('isolated')]).toEqual([1, 0, 0, 0]);
    expect(m.metrics.has('bulwark.retry.give_ups')).toBe(false);
  });

  it('a breaker that opens: transitions, refusals by reason, executions rejected, give-ups by reason', async () => {
    const clock = new VirtualClock();
    // A break longer than retry's maxDelay (60 s): retry gives up at once on the open circuit's retryAfterMs.
    const breaker = circuitBreaker({ strategy: consecutive(2), halfOpenAfter: 100_000, clock });
    const policy = pipeline(retry({ maxAttempts: 2, backoff: constant(1), clock }), breaker);
    const { meterProvider, collect } = harness();
    instrument(policy, { meterProvider, name: 'db' });

    const failing = () => Promise.reject(new RangeError('down'));
    for (let i = 0; i < 3; i++) {
      const run = policy.execute(failing).catch((e: unknown) => e);
      await clock.runAll();
      await run;
    }
    expect(breaker.state).toBe('open');
    const m = await collect();
    const b = base('db', 'circuitBreaker');
    expect(
      m.value('bulwark.circuit.transitions', {
        ...b,
        'bulwark.circuit.state': 'open',
        'bulwark.circuit.previous_state': 'closed',
      }),
    ).toBe(1);
    expect(m.points('bulwark.circuit.transitions')).toHaveLength(1);
    // The rule that opened it: consecutive(2) reached its count.
    expect(
      m.value('bulwark.circuit.thresholds_exceeded', {
        ...b,
        'bulwark.circuit.threshold': 'consecutiveFailures',
      }),
    ).toBe(1);
    expect(m.points('bulwark.circuit.thresholds_exceeded')).toHaveLength(1);
    expect(m.value('bulwark.circuit.state', { ...b, 'bulwark.circuit.state': 'open' })).toBe(1);
    // Execution 1: two failures open the circuit; 2 and 3: their first attempt is refused.
    expect(m.value('bulwark.rejections', { ...b, 'bulwark.rejection.reason': 'circuitOpen' })).toBe(2);
    const r = base('db', 'retry');
    expect(
      m.histogram('bulwark.execution.duration', {
        ...pipe('db'),
        'bulwark.outcome': 'failure',
        'error.type': 'RangeError',
      }),
    ).toEqual({ count: 1, sum: 0.001 });
    expect(
      m.histogram('bulwark.execution.duration', {
        ...pipe('db'),
        'bulwark.outcome': 'rejected',
        'error.type': 'BrokenCircuitError',
      }),
    ).toEqual({ count: 2, sum: 0 });
    expect(
      m.histogram('bulwark.attempt.duration', {
        ...pipe('db'),
        'bulwark.outcome': 'rejected',
        'error.type': 'BrokenCircuitError',
      }),
    ).toEqual({ count: 2, sum: 0 });
    expect(
      m.histogram('bulwark.attempt.duration', {
        ...pipe('db'),
        'bulwark.outcome': 'failure',
        'error.type': 'RangeError',
      })?.count,
    ).toBe(2);
    const giveUp = (reason: string, type: string) =>
      m.value('bulwark.retry.give_ups', { ...r, 'bulwark.retry.give_up_reason': reason, 'error.type': type });
    expect(giveUp('attempts', 'RangeError')).toBe(1);
    expect(giveUp('hintTooLong', 'BrokenCircuitError')).toBe(2);
  });

  it('a breaker refusing as the outermost layer: an execution rejected in no time', async () => {
    const breaker = circuitBreaker();
    breaker.isolate();
    const { meterProvider, collect } = harness();
    instrument(breaker, { meterProvider });
    await breaker.execute(() => 1).catch(() => {});
    const m = await collect();
    const b = base('circuitBreaker', 'circuitBreaker');
    expect(
      m.histogram('bulwark.execution.duration', {
        ...pipe('circuitBreaker'),
        'bulwark.outcome': 'rejected',
        'error.type': 'IsolatedCircuitError',
      }),
    ).toEqual({ count: 1, sum: 0 });
    expect(m.value('bulwark.rejections', { ...b, 'bulwark.rejection.reason': 'isolated' })).toBe(1);
    expect(m.value('bulwark.circuit.state', { ...b, 'bulwark.circuit.state': 'isolated' })).toBe(1);
  });
});

describe('instrument: admission layers', () => {
  it('bulkhead: executing and queued read at collection, refusals counted', async () => {
    const head = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const { meterProvider, collect } = harness();
    instrument(head, { meterProvider, name: 'api' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = head.execute(() => gate);
    const second = head.execute(() => 2);
    await expect(head.execute(() => 3)).rejects.toThrow();
    const b = base('api', 'bulkhead');
    let m = await collect();
    expect(m.value('bulwark.bulkhead.executing', b)).toBe(1);
    expect(m.value('bulwark.bulkhead.queued', b)).toBe(1);
    expect(m.value('bulwark.queue.calls', b)).toBe(1);
    expect(m.value('bulwark.rejections', { ...b, 'bulwark.rejection.reason': 'bulkheadFull' })).toBe(1);
    release();
    await Promise.all([first, second]);
    m = await collect();
    expect(m.value('bulwark.bulkhead.executing', b)).toBe(0);
    expect(m.value('bulwark.bulkhead.queued', b)).toBe(0);
    expect(
      m.histogram('bulwark.execution.duration', { ...pipe('api'), 'bulwark.outcome': 'success' })?.count,
    ).toBe(2);
  });

  it('rate limiter: the wait it announces (its projection), the callers waiting, a pause', async () => {
    const clock = new VirtualClock();
    const limiter = rateLimit({ limits: tokenBucket({ rate: 1, per: 100, capacity: 1 }), clock });
    const { meterProvider, collect } = harness();
    instrument(limiter, { meterProvider, name: 'quota' });
    await limiter.execute(() => 1);
    const second = limiter.execute(() => 2);
    const third = limiter.execute(() => 3);
    const b = base('quota', 'rateLimit');
    let m = await collect();
    expect(m.value('bulwark.rate_limit.waiting', b)).toBe(2);
    const wait = m.histogram('bulwark.queue.wait', b);
    expect(wait?.count).toBe(2);
    expect(wait?.sum).toBeCloseTo(0.3, 9); // 100 ms and 200 ms
    expect(m.metrics.get('bulwark.queue.wait')?.descriptor.unit).toBe('s');
    await clock.runAll();
    await Promise.all([second, third]);
    await limiter.pause(2_500);
    m = await collect();
    expect(m.value('bulwark.rate_limit.waiting', b)).toBe(0);
    expect(m.histogram('bulwark.pause.duration', b)).toEqual({ count: 1, sum: 2.5 });
  });

  it('adaptive concurrency: its limit as a gauge, its moves counted', async () => {
    const limiter = adaptiveConcurrency({ initialLimit: 4, minLimit: 1 });
    const { meterProvider, collect } = harness();
    instrument(limiter, { meterProvider, name: 'svc' });
    const b = base('svc', 'adaptiveConcurrency');
    expect((await collect()).value('bulwark.concurrency.limit', b)).toBe(4);
    const overload = Object.assign(new Error('503'), { status: 503 });
    await limiter.execute(() => Promise.reject(overload)).catch(() => {});
    const m = await collect();
    expect(m.value('bulwark.concurrency.limit', b)).toBe(limiter.limit);
    expect(limiter.limit).toBeLessThan(4);
    expect(
      m.value('bulwark.concurrency.limit_changes', { ...b, 'bulwark.concurrency.direction': 'decrease' }),
    ).toBe(1);
    expect(m.value('bulwark.concurrency.in_flight', b)).toBe(limiter.inFlight);
  });
});

describe('instrument: timeouts, fallbacks, hedges', () => {
  it('counts each kind of event on its own layer', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      fallback({ fallback: () => 'stale', clock }),
      hedge({ delay: 10, clock }),
      timeout(50, { clock, resolution: 0 }),
    );
    const { meterProvider, collect } = harness();
    instrument(policy, { meterProvider, name: 'svc' });
    const answer = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    await clock.runAll();
    expect(await answer).toBe('stale');
    const m = await collect();
    expect(m.value('bulwark.hedges', base('svc', 'hedge'))).toBe(1);
    expect(m.value('bulwark.timeouts', base('svc', 'timeout'))).toBe(2);
    expect(m.value('bulwark.fallbacks', { ...base('svc', 'fallback'), 'error.type': 'TimeoutError' })).toBe(
      1,
    );
    // The fallback answered when both hedged attempts had timed out (the second one started 10 ms later).
    expect(
      m.histogram('bulwark.execution.duration', {
        ...pipe('svc'),
        'bulwark.outcome': 'fallback',
        'error.type': 'TimeoutError',
      }),
    ).toEqual({ count: 1, sum: 0.06 });
    expect(
      m.histogram('bulwark.attempt.duration', {
        ...pipe('svc'),
        'bulwark.outcome': 'failure',
        'error.type': 'TimeoutError',
      })?.count,
    ).toBe(2);
  });
});

describe('instrument: hedged attempts', () => {
  it('every copy is an attempt; the loser ends as a failure with the abort', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(hedge({ delay: 10, clock }), timeout(1_000, { clock }));
    const { meterProvider, collect } = harness();
    instrument(policy, { meterProvider, name: 'search' });
    const answer = policy.execute(({ hedge: n, signal }) =>
      sleep(n === 0 ? 100 : 5, signal, clock).then(() => n),
    );
    await clock.runAll();
    expect(await answer).toBe(1);
    const m = await collect();
    expect(
      m.histogram('bulwark.attempt.duration', { ...pipe('search'), 'bulwark.outcome': 'success' }),
    ).toEqual({
      count: 1,
      sum: 0.005,
    });
    expect(
      m.histogram('bulwark.attempt.duration', {
        ...pipe('search'),
        'bulwark.outcome': 'failure',
        'error.type': 'AbortError',
      }),
    ).toEqual({ count: 1, sum: 0.015 });
    expect(
      m.histogram('bulwark.execution.duration', { ...pipe('search'), 'bulwark.outcome': 'success' }),
    ).toEqual({
      count: 1,
      sum: 0.015,
    });
  });
});

describe('instrument: keyed registries', () => {
  const registry = () =>
    keyedPolicy((_model: string) => circuitBreaker({ name: `breaker` }), { maxKeys: 10 });

  it('shares one series per layer between keys unless the key attribute is asked for', async () => {
    const keyed = registry();
    const { meterProvider, collect } = harness();
    instrument(keyed, { meterProvider, name: 'models' });
    for (const model of ['pro', 'flash', 'lite']) await keyed.execute(model, () => model);
    keyed.get('pro').isolate();
    const m = await collect();
    const b = base('models', 'breaker');
    expect(m.points('bulwark.execution.duration')).toHaveLength(1);
    expect(
      m.histogram('bulwark.execution.duration', { ...pipe('models'), 'bulwark.outcome': 'success' })?.count,
    ).toBe(3);
    expect(m.value('bulwark.circuit.state', { ...b, 'bulwark.circuit.state': 'closed' })).toBe(2);
    expect(m.value('bulwark.circuit.state', { ...b, 'bulwark.circuit.state': 'isolated' })).toBe(1);
  });

  it('with keyAttribute: a series per key, and an evicted key stops being read', async () => {
    const keyed = keyedPolicy((_model: string) => circuitBreaker({ name: 'breaker' }), { maxKeys: 2 });
    const { meterProvider, collect } = harness();
    instrument(keyed, { meterProvider, name: 'models', keyAttribute: true });
    await keyed.execute('pro', () => 1);
    await keyed.execute('flash', () => 2);
    await keyed.execute('lite', () => 3); // evicts pro
    const m = await collect();
    const of = (key: string) => ({ ...base('models', 'breaker'), 'bulwark.key': key });
    for (const key of ['pro', 'flash', 'lite']) {
      expect(
        m.histogram('bulwark.execution.duration', {
          ...pipe('models'),
          'bulwark.key': key,
          'bulwark.outcome': 'success',
        })?.count,
      ).toBe(1);
    }
    expect(m.value('bulwark.circuit.state', { ...of('lite'), 'bulwark.circuit.state': 'closed' })).toBe(1);
    // An asynchronous instrument reports only what was observed in this collection.
    expect(
      m.point('bulwark.circuit.state', { ...of('flash'), 'bulwark.circuit.state': 'closed' }),
    ).toBeDefined();
    expect(() =>
      m.point('bulwark.circuit.state', { ...of('pro'), 'bulwark.circuit.state': 'closed' }),
    ).toThrow();
  });
});

describe('instrument: stop, options', () => {
  it('stop() removes every listener (the policy is back on its fast path) and every observation', async () => {
    const policy = pipeline(retry(), circuitBreaker(), bulkhead({ maxConcurrent: 2 }));
    const { meterProvider, collect } = harness();
    const stop = instrument(policy, { meterProvider });
    for (const layer of policy.policies) expect(layer.events.active).toBe(true);
    stop();
    stop();
    for (const layer of policy.policies) expect(layer.events.active).toBe(false);
    await policy.execute(() => 1);
    const m = await collect();
    expect(m.points('bulwark.execution.duration')).toHaveLength(0);
    expect(m.points('bulwark.circuit.state')).toHaveLength(0);
  });

  it('listens only to the events each layer emits', () => {
    const breaker = circuitBreaker();
    const policy = pipeline(retry(), timeout(1_000), breaker);
    instrument(policy, { meterProvider: metricsHarness().meterProvider });
    expect(breaker.events.eventNames().sort()).toEqual(['rejected', 'stateChange', 'thresholdExceeded']);
    expect(policy.policies[1].events.eventNames().sort()).toEqual(['failure', 'success', 'timeout']);
  });

  it('works with no SDK registered (the global no-op providers): records nothing, throws nothing', async () => {
    const policy = pipeline(retry({ maxAttempts: 2, backoff: constant(0) }), timeout(100));
    const stop = instrument(policy);
    let n = 0;
    await expect(policy.execute(() => (n++ === 0 ? Promise.reject(new Error('x')) : 'ok'))).resolves.toBe(
      'ok',
    );
    stop();
  });

  it('refuses what is not a policy and bad options with InvalidOptionError naming them', () => {
    const policy = retry();
    const cases: Array<[unknown, unknown, string]> = [
      [{}, undefined, 'policy'],
      [null, undefined, 'policy'],
      [policy, 'x', 'options'],
      [policy, { meterProvider: {} }, 'meterProvider'],
      [policy, { tracerProvider: true }, 'tracerProvider'],
      [policy, { tracerProvider: null }, 'tracerProvider'],
      [policy, { name: '' }, 'name'],
      [policy, { name: 3 }, 'name'],
      [policy, { keyAttribute: 'yes' }, 'keyAttribute'],
    ];
    for (const [target, options, option] of cases) {
      let thrown: unknown;
      try {
        instrument(target as never, options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, option).toBeInstanceOf(InvalidOptionError);
      expect((thrown as InvalidOptionError).option).toBe(option);
    }
  });
});
