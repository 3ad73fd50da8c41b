import { constant, type RateLimit, slidingWindow, tokenBucket } from '@bulwark/core';
import type { RateLimitScope } from '@bulwark/core/store';
import { VirtualClock } from '@bulwark/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { guardStore, type StoreErrorMode } from '../../src/index.js';
import { type Behaviour, ControlledStore } from './controlled-store.js';

const limits: RateLimit[] = [tokenBucket({ rate: 5, per: 1000 }), slidingWindow({ limit: 8, window: 2000 })];
const scope: RateLimitScope = { id: 'property', limits };
const TIMEOUT = 200;

const step = fc.record({
  behaviour: fc.constantFrom<Behaviour>('ok', 'sync', 'hang', 'reject', 'throw', 'slow'),
  slowMs: fc.integer({ min: 0, max: 2 * TIMEOUT }),
  calls: fc.array(fc.constantFrom('acquire', 'read', 'adjust', 'pause'), { maxLength: 4 }),
  release: fc.boolean(),
  advance: fc.integer({ min: 0, max: 1500 }),
});

describe('guardStore under any sequence of store behaviours', () => {
  it('bounds every call by callTimeoutMs, reports each outage once, probes one at a time, leaks no timer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.constantFrom<StoreErrorMode>('local', 'admit', 'refuse'),
        fc.integer({ min: 0, max: 700 }),
        async (steps, mode, probeDelay) => {
          const clock = new VirtualClock(10_000);
          const primary = new ControlledStore(clock);
          const store = guardStore(primary, {
            clock,
            callTimeoutMs: TIMEOUT,
            onStoreError: mode,
            probeBackoff: constant(probeDelay),
          });
          const events: string[] = [];
          store.on('unavailable', () => events.push('unavailable'));
          store.on('recovered', () => events.push('recovered'));
          // Probes: reads sent while the store is down. Each starts after the previous one answered or timed out.
          let probeEnd = Number.NEGATIVE_INFINITY;
          const read = primary.read.bind(primary);
          primary.read = (request) => {
            if (!store.available) {
              expect(clock.now()).toBeGreaterThanOrEqual(probeEnd);
              probeEnd = clock.now() + TIMEOUT;
              const answer = read(request);
              if (answer instanceof Promise) {
                answer.then(
                  () => void (probeEnd = Math.min(probeEnd, clock.now())),
                  () => void (probeEnd = Math.min(probeEnd, clock.now())),
                );
              } else probeEnd = clock.now();
              return answer;
            }
            return read(request);
          };
          const latencies: number[] = [];
          let open = 0;
          for (const s of steps) {
            primary.behaviour = s.behaviour;
            primary.slowMs = s.slowMs;
            if (s.release) primary.release();
            for (const op of s.calls) {
              const started = clock.now();
              const acquiresBefore = primary.calls.acquire;
              const wasDown = !store.available;
              let answer: unknown;
              const now = clock.now();
              try {
                if (op === 'acquire')
                  answer = store.acquire({ scope, key: 'k', costs: [1, 1], now, marks: [] });
                if (op === 'read') answer = store.read({ scope, key: 'k', now });
                if (op === 'pause') answer = store.pause({ scope, key: 'k', forMs: 50, now });
                if (op === 'adjust') {
                  const admission = { at: now, costs: [1, 1], marks: [now, 0] };
                  answer = store.adjust({ scope, key: 'k', deltas: [-1, -1], admission, now });
                }
              } catch {
                answer = undefined; // a synchronous refusal ('refuse'): settled at once
              }
              // While down, nothing but probes reaches the store.
              if (wasDown) expect(primary.calls.acquire).toBe(acquiresBefore);
              open++;
              Promise.resolve(answer).then(
                () => {
                  open--;
                  latencies.push(clock.now() - started);
                },
                () => {
                  open--;
                  latencies.push(clock.now() - started);
                },
              );
            }
            await clock.advance(s.advance);
          }
          await clock.advance(TIMEOUT);
          expect(open).toBe(0);
          for (const latency of latencies) expect(latency).toBeLessThanOrEqual(TIMEOUT);
          // unavailable, recovered, unavailable...: once per outage each.
          for (const [i, name] of events.entries())
            expect(name).toBe(i % 2 === 0 ? 'unavailable' : 'recovered');
          expect(store.available).toBe(events.length % 2 === 0);
          // Up: no timer. Down: the next probe's, or the timeout of the probe in flight.
          expect(clock.pendingTimers - primary.slowTimers).toBeLessThanOrEqual(store.available ? 0 : 1);
          store.close();
          primary.release();
          await clock.advance(2 * TIMEOUT);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
