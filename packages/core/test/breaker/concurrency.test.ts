import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { circuitBreaker, consecutive, countWindow } from '../../src/breaker/index.js';
import { BrokenCircuitError } from '../../src/errors.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { abortListeners, deferred } from '../support/helpers.js';

const settle = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe('circuit breaker under concurrency', () => {
  it('500 simultaneous failures open the circuit exactly once; every admitted caller gets its own outcome', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutive(5), halfOpenAfter: 1_000 });
    const changes: string[] = [];
    breaker.on('stateChange', (e) => changes.push(`${e.from}->${e.to}`));
    const calls = Array.from({ length: 500 }, () => deferred<string>());
    const results = calls.map((d) => settle(breaker.execute(() => d.promise)));
    for (const [i, d] of calls.entries()) d.reject(new Error(`failure ${i}`));
    const outcomes = await Promise.all(results);
    expect(outcomes.every((o, i) => !o.ok && (o.error as Error).message === `failure ${i}`)).toBe(true);
    expect(changes).toEqual(['closed->open']);
    await expect(breaker.execute(() => 'x')).rejects.toBeInstanceOf(BrokenCircuitError);
  });

  it('half-open admits exactly halfOpenProbes of 300 simultaneous callers and turns the rest away at once', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      halfOpenAfter: 100,
      halfOpenProbes: 5,
    });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await clock.advance(100);
    const probes: ReturnType<typeof deferred<string>>[] = [];
    const results = Array.from({ length: 300 }, () =>
      settle(
        breaker.execute(() => {
          const d = deferred<string>();
          probes.push(d);
          return d.promise;
        }),
      ),
    );
    await flushMicrotasks();
    expect(probes).toHaveLength(5);
    // Everyone else already has an answer while the probes are still running.
    const rejected = await Promise.all(results.slice(5));
    expect(rejected.every((r) => !r.ok && r.error instanceof BrokenCircuitError)).toBe(true);
    for (const p of probes) p.resolve('fine');
    expect((await Promise.all(results.slice(0, 5))).every((r) => r.ok)).toBe(true);
    expect(breaker.state).toBe('closed');
    const after = await Promise.all(Array.from({ length: 300 }, () => settle(breaker.execute(() => 'ok'))));
    expect(after.every((r) => r.ok)).toBe(true);
  });

  it('aborting 200 running probes rejects each at once with its reason and leaks no listener; their slots stay taken until the functions settle', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutive(1),
      halfOpenAfter: 100,
      halfOpenProbes: 200,
    });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await clock.advance(100);
    const controllers = Array.from({ length: 200 }, () => new AbortController());
    const work = controllers.map(() => deferred<string>());
    // The probes ignore their signal: only the breaker can answer the callers.
    const results = controllers.map((c, i) =>
      settle(breaker.execute(() => work[i]!.promise, { signal: c.signal })),
    );
    await expect(breaker.execute(() => 'one too many')).rejects.toBeInstanceOf(BrokenCircuitError);
    const reasons = controllers.map((c, i) => {
      const reason = new Error(`abort ${i}`);
      c.abort(reason);
      return reason;
    });
    const outcomes = await Promise.all(results);
    expect(outcomes.every((o, i) => !o.ok && o.error === reasons[i])).toBe(true);
    expect(controllers.every((c) => abortListeners(c.signal) === 0)).toBe(true);
    expect(breaker.state).toBe('halfOpen');
    // The 200 functions still run: no slot is free.
    await expect(breaker.execute(() => 'still too many')).rejects.toBeInstanceOf(BrokenCircuitError);
    // They end with the abort's consequence (counted as nothing): every slot is free again.
    for (const d of work) d.reject(new Error('aborted'));
    await flushMicrotasks();
    expect(breaker.state).toBe('halfOpen');
    const again = Array.from({ length: 200 }, () => deferred<string>());
    const next = again.map((d) => settle(breaker.execute(() => d.promise)));
    for (const d of again) d.resolve('ok');
    expect((await Promise.all(next)).every((r) => r.ok)).toBe(true);
    expect(breaker.state).toBe('closed');
    expect(clock.pendingTimers).toBe(0);
  });

  it('in any interleaving of 200 calls, no more than halfOpenProbes probes run at once and every caller is answered', async () => {
    const outcomeArb = fc.constantFrom('ok', 'fail', 'fail', 'ignored');
    let totalProbes = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(outcomeArb, { minLength: 200, maxLength: 200 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (s, outcomes, probes, windowed) => {
          const clock = new VirtualClock();
          const breaker = circuitBreaker({
            clock,
            strategy: windowed
              ? countWindow({ size: 10, minimumCalls: 4, failureRatio: 0.5 })
              : consecutive(3),
            halfOpenAfter: 0,
            halfOpenProbes: probes,
            handle: (e) => (e as Error).message !== 'ignored',
          });
          let episode = 0;
          let running = 0;
          let most = 0;
          let probed = 0;
          breaker.on('stateChange', (e) => {
            if (e.to === 'halfOpen') {
              episode++;
              running = 0;
            }
          });
          const results = outcomes.map((outcome) =>
            s.schedule(Promise.resolve()).then(() => {
              const probe = breaker.state === 'halfOpen';
              const mine = episode;
              let invoked = false;
              return settle(
                breaker.execute(() => {
                  invoked = true;
                  if (probe) {
                    most = Math.max(most, ++running);
                    probed++;
                  }
                  return s.schedule(Promise.resolve()).then(() => {
                    if (probe && mine === episode) running--;
                    if (outcome === 'ok') return 'ok';
                    throw new Error(outcome);
                  });
                }),
              ).then((answer) => ({ answer, invoked, outcome }));
            }),
          );
          await s.waitAll();
          const answers = await Promise.all(results);
          expect(answers).toHaveLength(200);
          expect(most).toBeLessThanOrEqual(probes);
          for (const { answer, invoked, outcome } of answers) {
            // An admitted caller gets exactly its function's outcome; a refused one a BrokenCircuitError.
            if (!invoked) expect(!answer.ok && answer.error instanceof BrokenCircuitError).toBe(true);
            else if (outcome === 'ok') expect(answer).toEqual({ ok: true, value: 'ok' });
            else expect(!answer.ok && (answer.error as Error).message === outcome).toBe(true);
          }
          expect(clock.pendingTimers).toBe(0);
          totalProbes += probed;
        },
      ),
      { numRuns: 40 },
    );
    expect(totalProbes).toBeGreaterThan(40); // the interleavings really exercised half-open
  });
});
