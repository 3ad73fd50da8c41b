import { circuitBreaker, keyedPolicy, pipeline, rateLimit, retry, tokenBucket } from '@bulwark/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instrument } from '../src/index.js';
import { metricsHarness } from './support/otel.js';

const total = (points: readonly { value: unknown }[]) =>
  points.reduce(
    (n, p) => n + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count),
    0,
  );

describe('instrument: bounded attribute cardinality, counts that match what happened', () => {
  it('a keyed registry: as many series whatever the keys, and one execution counted per call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.boolean()), {
          minLength: 1,
          maxLength: 60,
        }),
        async (calls) => {
          const keyed = keyedPolicy(() => pipeline(retry({ maxAttempts: 1 }), circuitBreaker()), {
            maxKeys: 8,
          });
          const { meterProvider, collect, shutdown } = metricsHarness();
          const stop = instrument(keyed, { meterProvider, name: 'tenants' });
          for (const [key, fails] of calls) {
            await keyed
              .execute(key, () => (fails ? Promise.reject(new RangeError('no')) : key))
              .catch(() => {});
          }
          const m = await collect();
          const executions = m.points('bulwark.execution.duration');
          const outcomes = new Set(calls.map(([, fails]) => fails));
          expect(executions).toHaveLength(outcomes.size);
          expect(total(executions)).toBe(calls.length);
          const failures = calls.filter(([, fails]) => fails).length;
          expect(total(m.points('bulwark.retry.give_ups'))).toBe(failures);
          // One breaker state series per state, counting the keys held (at most maxKeys).
          expect(m.points('bulwark.circuit.state')).toHaveLength(4);
          expect(total(m.points('bulwark.circuit.state'))).toBe(keyed.size);
          stop();
          await shutdown();
        },
      ),
      { numRuns: 40 },
    );
  });

  it("a rate limiter's per-call keys: no series per key unless keyAttribute asks for one", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 40 }),
        async (keys) => {
          const build = () =>
            rateLimit({
              limits: tokenBucket({ rate: 1, per: 60_000 }),
              mode: 'reject',
            });
          for (const keyAttribute of [false, true]) {
            const limiter = build();
            const { meterProvider, collect, shutdown } = metricsHarness();
            instrument(limiter, { meterProvider, keyAttribute });
            for (const key of keys) await limiter.execute(() => key, { key }).catch(() => {});
            const m = await collect();
            const refusals = keys.length - new Set(keys).size;
            expect(total(m.points('bulwark.rejections'))).toBe(refusals);
            const series = m.points('bulwark.rejections').length;
            const refusedKeys = new Set(keys.filter((k, i) => keys.indexOf(k) !== i)).size;
            expect(series).toBe(keyAttribute ? refusedKeys : Math.min(refusals, 1));
            await shutdown();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
