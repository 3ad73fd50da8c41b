import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BulkheadRejectedError, bulkhead } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

interface PlannedCall {
  /** Arrival time (ms). */
  readonly at: number;
  /** How long the function runs once started (ms). */
  readonly duration: number;
  /** When the caller aborts (ms after arrival), if it does. */
  readonly abortAfter: number | undefined;
  readonly fails: boolean;
}

const plannedCall: fc.Arbitrary<PlannedCall> = fc.record({
  at: fc.integer({ min: 0, max: 200 }),
  duration: fc.integer({ min: 0, max: 60 }),
  abortAfter: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
  fails: fc.boolean(),
});

type Outcome =
  | { kind: 'ok'; at: number }
  | { kind: 'failed'; at: number }
  | { kind: 'aborted'; at: number }
  | { kind: 'full'; at: number }
  | { kind: 'queueTimeout'; at: number };

describe('bulkhead properties', () => {
  it('never runs more than maxConcurrent, serves FIFO, never idles a slot while callers wait, and frees everything', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 5 }),
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        fc.array(plannedCall, { minLength: 1, maxLength: 40 }),
        async (maxConcurrent, maxQueue, queueTimeout, calls) => {
          const clock = new VirtualClock();
          const policy = bulkhead({ maxConcurrent, maxQueue, queueTimeout, clock });
          let running = 0;
          const startOrder: number[] = [];
          const arrivalOrder: number[] = [];
          const startedAt = new Map<number, number>();
          const outcomes = new Map<number, Outcome>();
          const finishes: number[] = [];
          const promises: Promise<void>[] = [];
          // Whenever someone waits, every slot is taken (checked at every observable moment).
          const checkWorkConserving = () => {
            expect(policy.executing).toBeLessThanOrEqual(maxConcurrent);
            if (policy.queued > 0) expect(policy.executing).toBe(maxConcurrent);
          };

          calls.forEach((call, id) => {
            clock.setTimer(() => {
              checkWorkConserving();
              const before = { executing: policy.executing, queued: policy.queued };
              arrivalOrder.push(id);
              const controller = call.abortAfter === undefined ? undefined : new AbortController();
              if (controller) clock.setTimer(() => controller.abort(`abort ${id}`), call.abortAfter!);
              const promise = policy
                .execute(
                  async () => {
                    running++;
                    expect(running).toBeLessThanOrEqual(maxConcurrent);
                    startOrder.push(id);
                    startedAt.set(id, clock.now());
                    checkWorkConserving();
                    await new Promise<void>((resolve) => clock.setTimer(resolve, call.duration));
                    running--;
                    finishes.push(clock.now());
                    if (call.fails) throw new Error(`fail ${id}`);
                  },
                  { signal: controller?.signal },
                )
                .then(
                  () => void outcomes.set(id, { kind: 'ok', at: clock.now() }),
                  (error: unknown) => {
                    const at = clock.now();
                    if (error instanceof BulkheadRejectedError) {
                      outcomes.set(id, { kind: error.reason, at });
                      if (error.reason === 'full') {
                        // Refused only when every slot and every queue place was taken at arrival.
                        expect(before.executing).toBe(maxConcurrent);
                        expect(before.queued).toBe(maxQueue);
                      }
                    } else if (error === `abort ${id}`) outcomes.set(id, { kind: 'aborted', at });
                    else {
                      expect(error).toEqual(new Error(`fail ${id}`));
                      outcomes.set(id, { kind: 'failed', at });
                    }
                  },
                );
              promises.push(promise);
            }, call.at);
          });

          await clock.runAll();
          await Promise.all(promises);

          // Everybody settled; nothing is held any more.
          expect(outcomes.size).toBe(calls.length);
          expect(policy.executing).toBe(0);
          expect(policy.queued).toBe(0);
          expect(clock.pendingTimers).toBe(0);
          // FIFO: calls start in arrival order.
          const rank = new Map(arrivalOrder.map((id, i) => [id, i]));
          const ranks = startOrder.map((id) => rank.get(id)!);
          expect(ranks).toEqual([...ranks].sort((a, b) => a - b));

          calls.forEach((call, id) => {
            const outcome = outcomes.get(id)!;
            const started = startedAt.get(id);
            if (outcome.kind === 'full') expect(outcome.at).toBe(call.at);
            if (outcome.kind === 'queueTimeout') {
              expect(started).toBeUndefined();
              expect(outcome.at).toBe(call.at + queueTimeout!);
            }
            if (outcome.kind === 'aborted' && started === undefined) {
              // Left the queue the moment it aborted (or at arrival if that was the same instant).
              expect(outcome.at).toBe(call.at + call.abortAfter!);
            }
            if (started !== undefined && started > call.at) {
              // A queued call starts exactly when some running call finishes: no idle slot in between.
              expect(finishes).toContain(started);
            }
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
