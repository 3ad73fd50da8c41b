import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linear } from '../../src/backoff/index.js';
import {
  type BreakerSnapshot,
  type CircuitBreakerOptions,
  circuitBreaker,
  consecutive,
  countWindow,
  timeWindow,
} from '../../src/breaker/index.js';
import { BrokenCircuitError, InvalidOptionError } from '../../src/errors.js';
import { VirtualClock } from '../../src/testing.js';

const fail = () => Promise.reject(new Error('fail'));
const ok = () => 'ok';

async function drive(breaker: ReturnType<typeof circuitBreaker>, outcomes: readonly boolean[]) {
  for (const failed of outcomes) await breaker.execute(failed ? fail : ok).catch(() => undefined);
}

const retryAfter = async (breaker: ReturnType<typeof circuitBreaker>) =>
  ((await breaker.execute(ok).catch((e: unknown) => e)) as BrokenCircuitError).retryAfterMs;

/** Saves through JSON, as a real process would. */
function restore(snapshot: BreakerSnapshot, options: CircuitBreakerOptions) {
  return circuitBreaker({ ...options, initialState: JSON.parse(JSON.stringify(snapshot)) });
}

describe('snapshot / initialState', () => {
  it('is versioned plain JSON', async () => {
    const clock = new VirtualClock(50_000);
    const breaker = circuitBreaker({ clock, strategy: consecutive(3) });
    await drive(breaker, [true, true]);
    expect(breaker.snapshot()).toEqual({
      version: 1,
      state: 'closed',
      breaks: 0,
      window: { kind: 'consecutive', failures: 2 },
    });
  });

  it.each([
    ['consecutive', consecutive(3)],
    ['countWindow', countWindow({ size: 4, minimumCalls: 3, failureRatio: 0.75 })],
    ['timeWindow', timeWindow({ duration: 1_000, minimumCalls: 3, failureRatio: 0.75 })],
  ])('a closed %s breaker resumes with its counts', async (_, strategy) => {
    const clock = new VirtualClock(50_000);
    const breaker = circuitBreaker({ clock, strategy });
    await drive(breaker, [false, true, true]);
    expect(breaker.state).toBe('closed');
    const restored = restore(breaker.snapshot(), { clock, strategy });
    expect(restored.snapshot()).toEqual(breaker.snapshot());
    await drive(restored, [true]);
    expect(restored.state).toBe('open');
  });

  it('an open breaker stays open until the same moment, even in another process', async () => {
    const clock = new VirtualClock(50_000);
    const breaker = circuitBreaker({ clock, strategy: consecutive(1), halfOpenAfter: 10_000 });
    await drive(breaker, [true]);
    await clock.advance(4_000);
    const snapshot = breaker.snapshot();
    expect(snapshot).toMatchObject({ state: 'open', openUntil: 60_000, breaks: 1 });
    const restored = restore(snapshot, { clock, strategy: consecutive(1), halfOpenAfter: 10_000 });
    expect(restored.state).toBe('open');
    expect(await retryAfter(restored)).toBe(6_000);
    await clock.advance(6_000);
    expect(restored.state).toBe('halfOpen');
  });

  it('never keeps a restored circuit open longer than one longest break', async () => {
    const clock = new VirtualClock(50_000);
    const snapshot: BreakerSnapshot = {
      version: 1,
      state: 'open',
      openUntil: 9e15,
      breaks: 1,
      window: { kind: 'consecutive', failures: 0 },
    };
    const restored = circuitBreaker({ clock, halfOpenAfter: 2_000, initialState: snapshot });
    expect(await retryAfter(restored)).toBe(2_000);
  });

  it('an isolated snapshot restores open for one break, then probes: never stuck without a handle', async () => {
    const clock = new VirtualClock(50_000);
    const breaker = circuitBreaker({ clock, halfOpenAfter: 3_000 });
    breaker.isolate();
    const snapshot = breaker.snapshot();
    expect(snapshot.state).toBe('isolated');
    const restored = restore(snapshot, { clock, halfOpenAfter: 3_000 });
    expect(restored.state).toBe('open');
    expect(await retryAfter(restored)).toBe(3_000);
    await clock.advance(3_000);
    expect(restored.state).toBe('halfOpen');
    await expect(restored.execute(ok)).resolves.toBe('ok');
    expect(restored.state).toBe('closed');
  });

  it('a half-open snapshot restores half-open with every probe slot free', async () => {
    const clock = new VirtualClock(50_000);
    const options = { clock, strategy: consecutive(1), halfOpenAfter: 100 };
    const breaker = circuitBreaker(options);
    await drive(breaker, [true]);
    await clock.advance(100);
    const pending = breaker.execute(() => new Promise(() => {}));
    void pending;
    const restored = restore(breaker.snapshot(), options);
    expect(restored.state).toBe('halfOpen');
    await expect(restored.execute(ok)).resolves.toBe('ok');
    expect(restored.state).toBe('closed');
  });

  it('continues a growing break schedule where it was', async () => {
    const clock = new VirtualClock(0);
    const options = {
      clock,
      strategy: consecutive(1),
      halfOpenAfter: linear({ initialDelay: 1_000, step: 1_000, maxDelay: 10_000 }),
    };
    const breaker = circuitBreaker(options);
    await drive(breaker, [true]);
    await clock.advance(1_000);
    await drive(breaker, [true]); // second break: 2 000
    const restored = restore(breaker.snapshot(), options);
    expect(await retryAfter(restored)).toBe(2_000);
    await clock.advance(2_000);
    await drive(restored, [true]); // third break: 3 000
    expect(await retryAfter(restored)).toBe(3_000);
  });

  it('a window saved by another strategy starts empty (documented fallback)', async () => {
    const clock = new VirtualClock(0);
    const breaker = circuitBreaker({ clock, strategy: consecutive(5) });
    await drive(breaker, [true, true, true, true]);
    const restored = restore(breaker.snapshot(), {
      clock,
      strategy: countWindow({ size: 2, minimumCalls: 2, failureRatio: 1 }),
    });
    await drive(restored, [true]);
    expect(restored.state).toBe('closed');
  });

  it('a count window saved larger keeps only the newest outcomes; a time window drops expired buckets', async () => {
    const clock = new VirtualClock(0);
    const big = circuitBreaker({
      clock,
      strategy: countWindow({ size: 10, minimumCalls: 10, failureRatio: 1 }),
    });
    await drive(big, [true, true, true, false, false]);
    const small = restore(big.snapshot(), {
      clock,
      strategy: countWindow({ size: 2, minimumCalls: 2, failureRatio: 0.5 }),
    });
    expect(small.snapshot().window).toEqual({ kind: 'countWindow', outcomes: [0, 0] });

    const timed = circuitBreaker({ clock, strategy: timeWindow({ duration: 1_000, minimumCalls: 5 }) });
    await drive(timed, [true, true]);
    await clock.advance(600);
    await drive(timed, [true]);
    const snapshot = timed.snapshot();
    await clock.advance(600); // the first two failures are now older than the window
    const later = restore(snapshot, { clock, strategy: timeWindow({ duration: 1_000, minimumCalls: 5 }) });
    expect(later.snapshot().window).toEqual({ kind: 'timeWindow', buckets: [[650, 1, 1, 0]] });
  });

  const valid: BreakerSnapshot = {
    version: 1,
    state: 'closed',
    breaks: 0,
    window: { kind: 'consecutive', failures: 0 },
  };
  const bad: [string, unknown][] = [
    ['null', null],
    ['a string', '{"version":1}'],
    ['an array', []],
    ['an unknown version', { ...valid, version: 2 }],
    ['no version', { ...valid, version: undefined }],
    ['an unknown state', { ...valid, state: 'broken' }],
    ['negative breaks', { ...valid, breaks: -1 }],
    ['fractional breaks', { ...valid, breaks: 1.5 }],
    ['huge breaks', { ...valid, breaks: 1e9 }],
    ['open without openUntil', { ...valid, state: 'open' }],
    ['open with NaN openUntil', { ...valid, state: 'open', openUntil: Number.NaN }],
    ['no window', { ...valid, window: undefined }],
    ['an unknown window kind', { ...valid, window: { kind: 'sampling' } }],
    ['negative consecutive failures', { ...valid, window: { kind: 'consecutive', failures: -2 } }],
    ['bad outcomes', { ...valid, window: { kind: 'countWindow', outcomes: [0, 4] } }],
    ['outcomes not an array', { ...valid, window: { kind: 'countWindow', outcomes: '0101' } }],
    ['a short bucket', { ...valid, window: { kind: 'timeWindow', buckets: [[0, 1, 1]] } }],
    ['failures > calls', { ...valid, window: { kind: 'timeWindow', buckets: [[0, 1, 2, 0]] } }],
    ['a non-finite bucket time', { ...valid, window: { kind: 'timeWindow', buckets: [[null, 1, 0, 0]] } }],
  ];
  it.each(bad)('rejects a snapshot with %s: InvalidOptionError on initialState', (_, snapshot) => {
    let thrown: unknown;
    try {
      circuitBreaker({ initialState: snapshot as BreakerSnapshot });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe('initialState');
  });

  it('snapshot -> restore -> snapshot is the identity, whatever happened before', async () => {
    const strategyArb = fc.constantFrom(
      () => consecutive(3),
      () => countWindow({ size: 5, minimumCalls: 3, failureRatio: 0.5 }),
      () => timeWindow({ duration: 1_000, buckets: 4, minimumCalls: 3, failureRatio: 0.5 }),
    );
    const stepArb = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), failed: fc.boolean() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 800 }) }),
    );
    await fc.assert(
      fc.asyncProperty(strategyArb, fc.array(stepArb, { maxLength: 25 }), async (strategy, steps) => {
        const clock = new VirtualClock(10_000);
        const options = {
          clock,
          strategy: strategy(),
          halfOpenAfter: linear({ initialDelay: 300, step: 300, maxDelay: 2_000 }),
        };
        const breaker = circuitBreaker(options);
        for (const step of steps) {
          if (step.kind === 'call') await drive(breaker, [step.failed]);
          else await clock.advance(step.ms);
        }
        const snapshot = breaker.snapshot();
        const restored = restore(snapshot, { ...options, strategy: strategy() });
        expect(restored.snapshot()).toEqual(snapshot);
        expect(restored.state).toBe(breaker.state);
      }),
      { numRuns: 100 },
    );
  });
});

it('restored breakers reject with BrokenCircuitError like live ones', async () => {
  const clock = new VirtualClock(0);
  const restored = circuitBreaker({
    clock,
    initialState: {
      version: 1,
      state: 'open',
      openUntil: 500,
      breaks: 1,
      window: { kind: 'consecutive', failures: 0 },
    },
  });
  await expect(restored.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
});
