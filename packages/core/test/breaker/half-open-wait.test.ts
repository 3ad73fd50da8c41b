/** halfOpenWait: callers parked behind the half-open probes instead of refused (cockatiel's behaviour). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CircuitBreakerOptions, circuitBreaker, consecutive } from '../../src/breaker/index.js';
import { BrokenCircuitError, InvalidOptionError } from '../../src/errors.js';
import { flushMicrotasks, VirtualClock } from '../../src/testing.js';
import { abortListeners, deferred, stateOf } from '../support/helpers.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

async function halfOpen(options: CircuitBreakerOptions = {}) {
  const clock = new VirtualClock();
  const breaker = circuitBreaker({
    strategy: consecutive(1),
    halfOpenAfter: 100,
    clock,
    halfOpenWait: true,
    ...options,
  });
  await breaker.execute(boom).catch(() => {});
  await clock.advance(100);
  return { clock, breaker };
}

describe('circuitBreaker({ halfOpenWait })', () => {
  it('parks callers behind the probe; they run once it closes the circuit', async () => {
    const { breaker } = await halfOpen();
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise);
    let ran = 0;
    const parked = [1, 2, 3].map(() =>
      breaker.execute(() => {
        ran++;
        return ok();
      }),
    );
    await flushMicrotasks();
    expect(await stateOf(parked[0]!)).toBe('pending');
    expect(ran).toBe(0);
    probe.resolve('up');
    expect(await probing).toBe('up');
    expect(await Promise.all(parked)).toEqual(['ok', 'ok', 'ok']);
    expect(ran).toBe(3);
    expect(breaker.state).toBe('closed');
  });

  it('parked callers are refused with the new break when the probe reopens the circuit', async () => {
    const { breaker } = await halfOpen();
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise);
    const parked = breaker.execute(ok);
    await flushMicrotasks();
    probe.reject(new Error('still down'));
    await probing.catch(() => {});
    const refused = await parked.catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrokenCircuitError);
    expect((refused as BrokenCircuitError).retryAfterMs).toBe(100);
  });

  it('a probe freed without a verdict (an unhandled error) lets a parked caller probe in its slot', async () => {
    const { breaker } = await halfOpen({ handle: (error) => (error as Error).message !== 'ignored' });
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise);
    const parked = breaker.execute(ok);
    await flushMicrotasks();
    probe.reject(new Error('ignored'));
    await probing.catch(() => {});
    expect(await parked).toBe('ok'); // it became the probe, and closed the circuit
    expect(breaker.state).toBe('closed');
  });

  it('a parked caller that aborts leaves at once with its reason, leaving no listener', async () => {
    const { breaker } = await halfOpen();
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise);
    const controller = new AbortController();
    const parked = breaker.execute(ok, { signal: controller.signal });
    await flushMicrotasks();
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(parked).rejects.toBe(reason);
    expect(abortListeners(controller.signal)).toBe(0);
    probe.resolve('up');
    expect(await probing).toBe('up');
  });

  it('is off by default: a caller beyond the probes is refused at once', async () => {
    const { breaker } = await halfOpen({ halfOpenWait: false });
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    probe.resolve('up');
    await probing;
  });

  it('checks the option', () => {
    expect(() => circuitBreaker({ halfOpenWait: 'yes' as unknown as boolean })).toThrow(InvalidOptionError);
    expect(() => circuitBreaker({ halfOpenWait: 'yes' as unknown as boolean })).toThrow(/halfOpenWait/);
  });

  it('property: every parked caller is answered once the probes settle, whatever their outcomes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.oneof(fc.constant('ok'), fc.constant('fail'), fc.constant('ignored')), {
          minLength: 1,
          maxLength: 10,
        }),
        async (probes, outcomes) => {
          const { breaker, clock } = await halfOpen({
            halfOpenProbes: probes,
            handle: (error) => (error as Error).message !== 'ignored',
          });
          const gates = outcomes.map(() => deferred<void>());
          const calls = outcomes.map((outcome, i) =>
            breaker
              .execute(async () => {
                await gates[i]!.promise;
                if (outcome !== 'ok') throw new Error(outcome === 'fail' ? 'boom' : 'ignored');
                return 'ok';
              })
              .then(
                () => 'done',
                () => 'done',
              ),
          );
          for (const gate of gates) {
            await flushMicrotasks();
            gate.resolve();
            await flushMicrotasks();
            await clock.advance(100); // a reopened circuit lets the next ones probe
          }
          await clock.advance(100);
          const answered = await Promise.race([Promise.all(calls), flushMicrotasks().then(() => 'stuck')]);
          expect(answered).not.toBe('stuck');
          // The answer never waits on a caller stranded in the parking: every one got an answer.
        },
      ),
      { numRuns: 100 },
    );
  });
});
