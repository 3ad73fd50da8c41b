import {
  type Clock,
  circuitBreaker,
  constant,
  countWindow,
  hedge,
  pipeline,
  retry,
  sleep,
  timeout,
} from '@bulwark/core';
import { context } from '@opentelemetry/api';
import { VirtualClock } from '@bulwark/core/testing';
import { describe, expect, it } from 'vitest';
import { instrument } from '../src/index.js';
import { metricsHarness, tracesHarness } from './support/otel.js';

describe('instrument: span events on the active span', () => {
  it("tells why a call took long: each attempt, each retry's delay and reason, on the caller's span", async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      retry({ maxAttempts: 3, backoff: constant(3_000), clock }),
      circuitBreaker({ clock }),
      timeout(1_000, { clock, resolution: 0 }),
    );
    const { tracer, tracerProvider, spans, events } = tracesHarness();
    instrument(policy, { meterProvider: metricsHarness().meterProvider, tracerProvider, name: 'inventory' });

    let calls = 0;
    const answer = tracer.startActiveSpan('GET /stock', async (span) => {
      try {
        return await policy.execute(async ({ signal }) => {
          if (++calls === 1) {
            await sleep(2_000, signal, clock); // cut by the 1 s timeout
          }
          if (calls === 2) throw Object.assign(new Error('503'), { name: 'HttpError' });
          return 'stock';
        });
      } finally {
        span.end();
      }
    });
    await clock.runAll();
    expect(await answer).toBe('stock');

    const [span] = spans();
    expect(span!.name).toBe('GET /stock');
    expect(events(span!)).toEqual([
      {
        name: 'bulwark.attempt',
        attributes: {
          'bulwark.policy.name': 'circuitBreaker',
          'bulwark.outcome': 'failure',
          'bulwark.duration': 1,
          'error.type': 'TimeoutError',
        },
      },
      {
        name: 'bulwark.retry',
        attributes: {
          'bulwark.policy.name': 'retry',
          'bulwark.retry.attempt': 1,
          'bulwark.retry.delay': 3,
          'bulwark.retry.delay_source': 'backoff',
          'error.type': 'TimeoutError',
        },
      },
      {
        name: 'bulwark.attempt',
        attributes: {
          'bulwark.policy.name': 'circuitBreaker',
          'bulwark.outcome': 'failure',
          'bulwark.duration': 0,
          'error.type': 'HttpError',
        },
      },
      {
        name: 'bulwark.retry',
        attributes: {
          'bulwark.policy.name': 'retry',
          'bulwark.retry.attempt': 2,
          'bulwark.retry.delay': 3,
          'bulwark.retry.delay_source': 'backoff',
          'error.type': 'HttpError',
        },
      },
      {
        name: 'bulwark.attempt',
        attributes: {
          'bulwark.policy.name': 'circuitBreaker',
          'bulwark.outcome': 'success',
          'bulwark.duration': 0,
        },
      },
    ]);
  });

  it('hedges on the span; concurrent executions each on their own span', async () => {
    // Node's timers run their callback in the context that set them; so do this virtual clock's.
    const virtual = new VirtualClock();
    const clock: Clock = {
      now: () => virtual.now(),
      setTimer: (fn, ms, options) => virtual.setTimer(context.bind(context.active(), fn), ms, options),
      clearTimer: (handle) => virtual.clearTimer(handle),
    };
    const policy = hedge({ delay: 10, clock });
    const { tracer, tracerProvider, spans, events } = tracesHarness();
    instrument(policy, { meterProvider: metricsHarness().meterProvider, tracerProvider });
    const run = (name: string, ms: number) =>
      tracer.startActiveSpan(name, async (span) => {
        await policy
          .execute(({ hedge: n, signal }) => sleep(n === 0 ? ms : 5, signal, clock))
          .finally(() => span.end());
      });
    const both = Promise.all([run('slow', 100), run('fast', 1)]);
    await virtual.runAll();
    await both;
    const byName = new Map(spans().map((s) => [s.name, events(s).map((e) => e.name)]));
    expect(byName.get('slow')).toEqual(['bulwark.hedge']);
    expect(byName.get('fast')).toEqual([]);
  });

  it("the call that opens a circuit carries the rule it reached and the window's counts, then the transition", async () => {
    const breaker = circuitBreaker({
      strategy: countWindow({ size: 4, failureRatio: 0.5, minimumCalls: 4 }),
    });
    const { tracer, tracerProvider, spans, events } = tracesHarness();
    instrument(breaker, { meterProvider: metricsHarness().meterProvider, tracerProvider, name: 'db' });
    const outcomes = [true, false, true, false]; // the fourth call brings the window to 2 failures of 4
    for (const [i, ok] of outcomes.entries()) {
      await tracer.startActiveSpan(`call ${i}`, (span) =>
        breaker
          .execute(() => (ok ? 'ok' : Promise.reject(new Error('down'))))
          .catch(() => undefined)
          .finally(() => span.end()),
      );
    }
    expect(breaker.state).toBe('open');
    const last = spans().find((s) => s.name === 'call 3')!;
    expect(events(last).filter((e) => e.name.startsWith('bulwark.circuit'))).toEqual([
      {
        name: 'bulwark.circuit.threshold_exceeded',
        attributes: {
          'bulwark.policy.name': 'circuitBreaker',
          'bulwark.circuit.threshold': 'failureRatio',
          'bulwark.circuit.window.calls': 4,
          'bulwark.circuit.window.failures': 2,
          'bulwark.circuit.window.slow_calls': 0,
        },
      },
      {
        name: 'bulwark.circuit.transition',
        attributes: {
          'bulwark.policy.name': 'circuitBreaker',
          'bulwark.circuit.state': 'open',
          'bulwark.circuit.previous_state': 'closed',
        },
      },
    ]);
  });

  it('adds nothing with tracerProvider: false, nor without an active span', async () => {
    const policy = pipeline(retry({ maxAttempts: 2, backoff: constant(0) }), timeout(1_000));
    const { tracer, tracerProvider, spans } = tracesHarness();
    const meterProvider = metricsHarness().meterProvider;
    const stop = instrument(policy, { meterProvider, tracerProvider: false });
    let n = 0;
    const flaky = () => (n++ % 2 === 0 ? Promise.reject(new Error('x')) : 'ok');
    await tracer.startActiveSpan('off', (span) => policy.execute(flaky).finally(() => span.end()));
    stop();
    instrument(policy, { meterProvider, tracerProvider });
    await policy.execute(flaky); // no active span: nothing to add to, nothing started
    expect(spans().map((s) => [s.name, s.events.length])).toEqual([['off', 0]]);
  });
});
