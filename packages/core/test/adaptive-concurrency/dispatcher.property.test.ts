import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineHeap, type HeapNode } from '../../src/adaptive-concurrency/dispatcher/deadline-heap.js';
import { HeldSlots } from '../../src/adaptive-concurrency/dispatcher/held-slots.js';
import { type RoomNode, WaitingRoom } from '../../src/adaptive-concurrency/dispatcher/waiting-room.js';
import { adaptiveConcurrency, sleep } from '../../src/index.js';
import { VirtualClock } from '../../src/testing.js';

interface PlannedCall {
  /** Arrival time (ms). */
  readonly at: number;
  /** How long the function runs once started (ms). */
  readonly duration: number;
  readonly outcome: 'ok' | 'overloaded' | 'answer';
  /** When the caller aborts (ms after arrival), if it does. */
  readonly abortAfter: number | undefined;
  /** The caller's deadline (ms after arrival), if it gives one. */
  readonly deadlineAfter: number | undefined;
  /** A delay hint carried by a refusal. */
  readonly hint: number | undefined;
}

const plannedCall: fc.Arbitrary<PlannedCall> = fc.record({
  at: fc.integer({ min: 0, max: 300 }),
  duration: fc.integer({ min: 0, max: 80 }),
  outcome: fc.constantFrom('ok', 'ok', 'overloaded', 'answer'),
  abortAfter: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
  deadlineAfter: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
  hint: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined, freq: 4 }),
});

const limiterOptions = fc.record({
  initialLimit: fc.integer({ min: 1, max: 6 }),
  minLimit: fc.constantFrom(0.1, 0.5, 1),
  maxLimit: fc.constantFrom(6, 10),
  backoffRatio: fc.constantFrom(0.5, 0.7, 0.9),
  maxWait: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
  maxQueue: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  initialRtt: fc.integer({ min: 1, max: 100 }),
  maxPause: fc.constantFrom(0, 50, 1000),
});

describe('adaptiveConcurrency properties', () => {
  it('admits at most floor(limit) calls at once (one below 1), keeps the limit in bounds, never starts a call past its deadline or abort, settles every call and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        limiterOptions,
        fc.array(plannedCall, { minLength: 1, maxLength: 30 }),
        async (options, calls) => {
          const clock = new VirtualClock();
          const policy = adaptiveConcurrency({ ...options, clock });
          // A decrease and a hand-over can happen at the same instant, in either order: allow the higher limit
          // in force at that instant.
          let changedAt = -1;
          let highest = policy.limit;
          const problems: string[] = [];
          policy.onLimitChange(({ from, to }) => {
            if (to < options.minLimit || to > options.maxLimit) problems.push(`limit ${to} out of bounds`);
            highest = clock.now() === changedAt ? Math.max(highest, from, to) : Math.max(from, to);
            changedAt = clock.now();
          });
          const outcomes: Array<Promise<{ ok: boolean; value: unknown }>> = [];
          const controllers: AbortController[] = [];
          const reasons: unknown[] = [];
          const startedAt: number[] = [];
          const arrivals = [...calls].sort((a, b) => a.at - b.at);
          for (const [i, call] of arrivals.entries()) {
            await clock.advanceTo(call.at);
            const controller = new AbortController();
            controllers.push(controller);
            reasons.push(new Error(`abort ${i}`));
            if (call.abortAfter !== undefined) {
              clock.setTimer(() => controller.abort(reasons[i]), call.abortAfter);
            }
            const deadline = call.deadlineAfter === undefined ? undefined : clock.now() + call.deadlineAfter;
            const promise = policy.execute(
              async (ctx) => {
                const now = clock.now();
                if (startedAt[i] !== undefined) problems.push(`call ${i} started twice`);
                startedAt[i] = now;
                const limit = now === changedAt ? Math.max(highest, policy.limit) : policy.limit;
                if (policy.inFlight > Math.max(1, Math.floor(limit))) {
                  problems.push(`${policy.inFlight} in flight with limit ${limit}`);
                }
                if (deadline !== undefined && now > deadline)
                  problems.push(`call ${i} started past its deadline`);
                if (controller.signal.aborted) problems.push(`call ${i} started after its abort`);
                await sleep(call.duration, ctx.signal, clock);
                if (call.outcome === 'overloaded') {
                  throw Object.assign(new Error('503'), { status: 503, retryAfterMs: call.hint });
                }
                if (call.outcome === 'answer') throw Object.assign(new Error('404'), { status: 404 });
                return i;
              },
              { signal: controller.signal, deadline },
            );
            outcomes.push(
              promise.then(
                (value) => ({ ok: true, value }),
                (value: unknown) => ({ ok: false, value }),
              ),
            );
          }
          await clock.runAll();
          const settled = await Promise.all(outcomes);
          for (const [i, result] of settled.entries()) {
            if (result.ok && result.value !== i)
              problems.push(`call ${i} resolved with ${String(result.value)}`);
            if (result.ok && arrivals[i]!.outcome !== 'ok') problems.push(`call ${i} should have failed`);
            if (!result.ok && result.value === reasons[i] && !controllers[i]!.signal.aborted) {
              problems.push(`call ${i} rejected with an abort reason it never got`);
            }
          }
          expect(problems).toEqual([]);
          expect(policy.inFlight).toBe(0);
          expect(policy.queued).toBe(0);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('DeadlineHeap', () => {
  interface Node extends HeapNode {
    readonly id: number;
  }

  it('shifts in (deadline, arrival) order whatever was removed in between', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            deadline: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
            removed: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        (plan) => {
          const heap = new DeadlineHeap<Node>();
          const nodes: Node[] = plan.map((p, seq) => ({
            id: seq,
            seq,
            deadline: p.deadline ?? Number.POSITIVE_INFINITY,
            index: -1,
          }));
          for (const node of nodes) heap.push(node);
          for (const [i, p] of plan.entries()) if (p.removed) heap.remove(nodes[i]!);
          // Removing twice is harmless.
          for (const [i, p] of plan.entries()) if (p.removed) heap.remove(nodes[i]!);
          const kept = nodes.filter((_, i) => !plan[i]!.removed);
          expect(heap.size).toBe(kept.length);
          const expected = [...kept]
            .sort((a, b) => a.deadline - b.deadline || a.seq - b.seq)
            .map((n) => n.id);
          const out: number[] = [];
          for (let node = heap.shift(); node !== undefined; node = heap.shift()) {
            expect(node.index).toBe(-1);
            out.push(node.id);
          }
          expect(out).toEqual(expected);
        },
      ),
    );
  });
});

describe('WaitingRoom', () => {
  interface Node extends RoomNode {
    readonly id: number;
  }

  it('serves earliest deadline first or newest first, and forgets whoever left, like a plain list', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('push' as const), deadline: fc.integer({ min: 0, max: 20 }) }),
            fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('shift' as const), newest: fc.boolean() }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const room = new WaitingRoom<Node>();
          const model: Node[] = [];
          let seq = 0;
          for (const step of ops) {
            if (step.op === 'push') {
              const node: Node = {
                id: seq,
                seq,
                deadline: step.deadline,
                arrived: seq,
                index: -1,
                older: undefined,
                newer: undefined,
              };
              seq++;
              room.push(node);
              model.push(node);
            } else if (step.op === 'remove') {
              if (model.length === 0) continue;
              const node = model.splice(step.pick % model.length, 1)[0]!;
              room.remove(node);
              room.remove(node); // twice is harmless
            } else {
              const expected =
                model.length === 0
                  ? undefined
                  : step.newest
                    ? model[model.length - 1]
                    : model.reduce((a, b) =>
                        b.deadline < a.deadline || (b.deadline === a.deadline && b.seq < a.seq) ? b : a,
                      );
              if (expected !== undefined) model.splice(model.indexOf(expected), 1);
              expect(room.shift(step.newest)).toBe(expected);
            }
            expect(room.size).toBe(model.length);
            expect(room.oldestArrival).toBe(model[0]?.arrived ?? Number.POSITIVE_INFINITY);
          }
        },
      ),
    );
  });
});

describe('HeldSlots', () => {
  it('releases each held slot at its time (lazily or by its own timer), hands the earliest over, and knows the release times, like a sorted list', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('hold' as const), ms: fc.integer({ min: 1, max: 50 }) }),
            fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }),
            fc.record({ op: fc.constant('release' as const) }),
            fc.record({ op: fc.constant('takeOver' as const) }),
          ),
          { maxLength: 80 },
        ),
        async (ops) => {
          const clock = new VirtualClock();
          const dueAt: number[] = [];
          const held = new HeldSlots(clock, () => dueAt.push(clock.now()));
          /** Release times of the slots held, sorted. */
          let model: number[] = [];
          const holds: number[] = [];
          for (const step of ops) {
            const now = clock.now();
            if (step.op === 'hold') {
              held.hold(now, step.ms);
              holds.push(now + step.ms);
              model = [...model, now + step.ms].sort((a, b) => a - b);
            } else if (step.op === 'advance') {
              await clock.advance(step.ms);
            } else if (step.op === 'release') {
              const due = model.filter((t) => t <= now).length;
              expect(held.releaseDue(now)).toBe(due);
              model = model.slice(due);
            } else if (model.length > 0) {
              held.takeOver();
              model = model.slice(1);
            }
            expect(held.size).toBe(model.length);
            expect(held.nextRelease).toBe(model[0]);
            for (let k = 1; k <= model.length; k++) expect(held.releaseTime(k)).toBe(model[k - 1]);
          }
          // Every hold's own timer fires at its release time, whoever released the slot first.
          await clock.runAll();
          expect(dueAt).toEqual([...holds].sort((a, b) => a - b));
          expect(held.releaseDue(clock.now())).toBe(model.length);
          expect(held.size).toBe(0);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
    );
  });
});
