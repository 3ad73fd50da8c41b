// Events are typed per policy: `on` and `events` accept exactly the events a policy emits, a pipeline the union of
// its layers'. The `@ts-expect-error` lines are checked by `pnpm typecheck` (tsc includes test/): each must be an
// error, or the check fails.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type adaptiveConcurrency,
  type adaptiveThrottle,
  bulkhead,
  circuitBreaker,
  constant,
  type fallback,
  type hedge,
  keyedPolicy,
  type PolicyEventName,
  PolicyBase,
  pipeline,
  type RetryEvent,
  rateLimit,
  retry,
  type StateChangeEvent,
  timeout,
  tokenBucket,
} from '../src/index.js';
import type { Ctx } from '../src/internal/context.js';
import { type Next, RUN } from '../src/policy.js';
import { VirtualClock } from '../src/testing.js';

/** The events a policy declares. */
type EventsOf<P> = P extends { readonly __types: { readonly events: infer E } } ? E : never;
type Outcome = 'success' | 'failure';

describe('events typed per policy', () => {
  it('each policy declares exactly the events it emits', () => {
    expectTypeOf<EventsOf<ReturnType<typeof retry>>>().toEqualTypeOf<Outcome | 'retry' | 'giveUp'>();
    expectTypeOf<EventsOf<ReturnType<typeof timeout>>>().toEqualTypeOf<Outcome | 'timeout'>();
    expectTypeOf<EventsOf<ReturnType<typeof fallback<null>>>>().toEqualTypeOf<Outcome | 'fallback'>();
    expectTypeOf<EventsOf<ReturnType<typeof hedge>>>().toEqualTypeOf<Outcome | 'hedge'>();
    expectTypeOf<EventsOf<ReturnType<typeof circuitBreaker>>>().toEqualTypeOf<
      Outcome | 'stateChange' | 'rejected' | 'thresholdExceeded'
    >();
    expectTypeOf<EventsOf<ReturnType<typeof bulkhead>>>().toEqualTypeOf<
      Outcome | 'queued' | 'rejected' | 'limitChange'
    >();
    expectTypeOf<EventsOf<ReturnType<typeof rateLimit>>>().toEqualTypeOf<
      Outcome | 'queued' | 'rejected' | 'paused' | 'limitsChange'
    >();
    expectTypeOf<EventsOf<ReturnType<typeof adaptiveThrottle>>>().toEqualTypeOf<Outcome | 'rejected'>();
    expectTypeOf<EventsOf<ReturnType<typeof adaptiveConcurrency>>>().toEqualTypeOf<
      Outcome | 'queued' | 'rejected' | 'paused' | 'limitChange'
    >();
  });

  it("on() accepts only the policy's events, and types the payload by event", () => {
    const policy = retry();
    const off = policy.on('retry', (event) => {
      expectTypeOf(event).toEqualTypeOf<RetryEvent>();
    });
    off();
    // @ts-expect-error retry has no circuit to change state
    policy.on('stateChange', () => {});
    // @ts-expect-error nor does a timeout limit anything
    timeout(10).on('limitChange', () => {});
    // @ts-expect-error a breaker never retries
    circuitBreaker().on('retry', () => {});
    // The full eventemitter3 API is typed alike.
    policy.events.on('giveUp', () => {});
    // @ts-expect-error
    policy.events.on('stateChange', () => {});
    policy.events.removeAllListeners();
  });

  it("a pipeline's events are the union of its layers', nested pipelines included", async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock() });
    const inner = pipeline(breaker, timeout(1_000));
    const policy = pipeline(retry({ maxAttempts: 2, backoff: constant(0) }), inner);
    expectTypeOf<EventsOf<typeof inner>>().toEqualTypeOf<
      Outcome | 'stateChange' | 'rejected' | 'thresholdExceeded' | 'timeout'
    >();
    expectTypeOf<EventsOf<typeof policy>>().toEqualTypeOf<
      Outcome | 'retry' | 'giveUp' | 'stateChange' | 'rejected' | 'thresholdExceeded' | 'timeout'
    >();
    // @ts-expect-error no layer is an adaptive limit
    policy.on('limitChange', () => {});
    // @ts-expect-error nor a bulkhead
    pipeline(retry(), timeout(5)).on('queued', () => {});

    // And the listeners reach every layer at run time.
    const changes: StateChangeEvent[] = [];
    const retries: RetryEvent[] = [];
    policy.on('stateChange', (event) => changes.push(event));
    policy.on('retry', (event) => retries.push(event));
    breaker.isolate();
    await expect(policy.execute(() => 'never')).rejects.toThrow();
    expect(changes.map((e) => e.to)).toEqual(['isolated']);
    expect(retries).toHaveLength(1);
  });

  it("a keyed registry's on() accepts its policies' events", () => {
    const registry = keyedPolicy(() => pipeline(retry(), bulkhead({ maxConcurrent: 1 })));
    const off = registry.on('queued', (event, key) => {
      expectTypeOf(key).toEqualTypeOf<string>();
      expectTypeOf(event.position).toEqualTypeOf<number | undefined>();
    });
    off();
    // @ts-expect-error neither retry nor a bulkhead has a circuit
    registry.on('stateChange', () => {});
    const limited = keyedPolicy(() => rateLimit({ limits: [tokenBucket({ rate: 1 })] }));
    limited.on('paused', () => {});
    // @ts-expect-error a rate limiter never retries
    limited.on('retry', () => {});
  });

  it('a policy that names no events may emit any (PolicyBase defaults to every event)', () => {
    class Passthrough extends PolicyBase {
      [RUN](context: Ctx, next: Next): Promise<unknown> {
        return Promise.resolve(next(context));
      }
    }
    expectTypeOf<EventsOf<Passthrough>>().toEqualTypeOf<PolicyEventName>();
    new Passthrough('custom').on('stateChange', () => {});
  });
});
