/**
 * The breaker's state machine on its own (breaker/circuit.ts): random sequences of events drive the state union
 * through legal transitions only, each caused by the event that may cause it, and a call counts only in the
 * state object (epoch) that admitted it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linear } from '../../src/backoff/index.js';
import {
  type AdmittingState,
  type BreakerState,
  BreakSeries,
  type CallOutcome,
  Circuit,
  FAILED,
  longestBreak,
  OK,
  SLOW,
} from '../../src/breaker/circuit.js';
import { restoreCircuit, saveCircuit } from '../../src/breaker/circuit-snapshot.js';
import { consecutive, countWindow } from '../../src/breaker/index.js';
import { Isolations } from '../../src/breaker/isolation.js';
import type { BreakerSnapshot } from '../../src/breaker/snapshot.js';
import type { BreakerStrategy } from '../../src/breaker/strategy.js';
import { VirtualClock } from '../../src/testing.js';

type Kind = BreakerState['kind'];
type Event =
  | { type: 'admit' }
  | { type: 'settle'; index: number; outcome: CallOutcome; hotPath: boolean }
  | { type: 'deferred'; outcome: CallOutcome }
  | { type: 'advance'; ms: number }
  | { type: 'refresh' }
  | { type: 'isolate' }
  | { type: 'release'; index: number }
  | { type: 'reset' };

/** Which transitions each event may cause (`from->to`); anything else is a bug. */
const CAUSES: Record<Event['type'], readonly string[]> = {
  admit: ['open->halfOpen'],
  // With maxHalfOpenDuration, a read after the probes' deadline reopens the circuit.
  refresh: ['open->halfOpen', 'halfOpen->open'],
  settle: ['closed->open', 'halfOpen->open', 'halfOpen->closed'],
  deferred: ['closed->open', 'halfOpen->open', 'halfOpen->closed'],
  isolate: ['closed->isolated', 'open->isolated', 'halfOpen->isolated'],
  release: ['isolated->closed'],
  reset: ['closed->closed', 'open->closed', 'halfOpen->closed', 'isolated->closed'],
  advance: [],
};

const outcomeArb = fc.constantFrom<CallOutcome>(OK, OK, FAILED, SLOW, FAILED | SLOW);
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ type: 'admit' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('settle' as const),
      index: fc.nat(),
      outcome: outcomeArb,
      hotPath: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('deferred' as const), outcome: outcomeArb }) },
  {
    weight: 2,
    arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 300 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'refresh' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'isolate' as const }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('release' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ type: 'reset' as const }) },
);

const configArb = fc.record({
  strategy: fc.oneof(
    fc.integer({ min: 1, max: 3 }).map((n) => consecutive(n)),
    fc.constant(countWindow({ size: 4, minimumCalls: 2, failureRatio: 0.5 })),
  ),
  halfOpenAfter: fc.oneof(
    fc.integer({ min: 0, max: 200 }),
    fc.constant(linear({ initialDelay: 50, step: 50, maxDelay: 200 })),
  ),
  halfOpenProbes: fc.integer({ min: 1, max: 3 }),
  maxHalfOpenDuration: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
});

interface Call {
  readonly admittedIn: AdmittingState;
}

describe('Circuit (the breaker state machine)', () => {
  it('random events move it through legal transitions only, each caused by an event that may cause it', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(eventArb, { maxLength: 80 }), async (config, events) => {
        const clock = new VirtualClock();
        const transitions: { from: BreakerState; to: BreakerState; error: unknown }[] = [];
        const circuit = new Circuit({
          halfOpenAfter: config.halfOpenAfter,
          halfOpenProbes: config.halfOpenProbes,
          maxHalfOpenDuration: config.maxHalfOpenDuration,
          tracker: (config.strategy as BreakerStrategy).start(undefined),
          clock,
          onTransition: (from, to, error) => transitions.push({ from, to, error }),
        });
        /** When each half-open state admitted its first probe. */
        const firstProbe = new Map<BreakerState, number>();
        const isolations = new Isolations(() => {
          if (circuit.state.kind === 'isolated') circuit.close();
        });
        const handles: ReturnType<Isolations['take']>[] = [];
        const running: Call[] = [];
        const seen = new Set<BreakerState>([circuit.state]);
        const longest = longestBreak(config.halfOpenAfter);

        for (const event of events) {
          const before = circuit.state;
          const beforeBreaks = before.kind === 'closed' ? 0 : before.breaks.count;
          const changesBefore = transitions.length;
          let stale = false;
          switch (event.type) {
            case 'admit': {
              let state = circuit.state;
              if (state.kind === 'open' && clock.now() >= state.until) state = circuit.halfOpen(state);
              if (state.kind === 'closed') running.push({ admittedIn: state });
              else if (state.kind === 'halfOpen' && circuit.takeProbeSlot(state)) {
                running.push({ admittedIn: state });
                if (!firstProbe.has(state)) firstProbe.set(state, clock.now());
              }
              break;
            }
            case 'settle': {
              if (running.length === 0) break;
              const [call] = running.splice(event.index % running.length, 1);
              if (call!.admittedIn.kind === 'halfOpen') circuit.freeProbeSlot();
              stale = call!.admittedIn !== circuit.state;
              circuit.record(
                call!.admittedIn,
                event.outcome,
                clock.now(),
                event.outcome & FAILED ? 'err' : undefined,
              );
              break;
            }
            case 'deferred':
              circuit.record(circuit.state, event.outcome, clock.now(), undefined);
              break;
            case 'advance':
              await clock.advance(event.ms);
              break;
            case 'refresh':
              circuit.refresh();
              break;
            case 'isolate':
              handles.push(isolations.take());
              circuit.isolate();
              break;
            case 'release':
              if (handles.length > 0) handles.splice(event.index % handles.length, 1)[0]!.dispose();
              break;
            case 'reset':
              isolations.clear();
              handles.length = 0;
              circuit.close();
              break;
          }

          const caused = transitions.slice(changesBefore);
          // A call admitted in a state that is over changes nothing.
          if (stale) expect(caused).toEqual([]);
          expect(caused.length).toBeLessThanOrEqual(1);
          let previous = before;
          for (const { from, to, error } of caused) {
            expect(CAUSES[event.type]).toContain(`${from.kind}->${to.kind}`);
            expect(from).toBe(previous); // the chain is unbroken
            expect(seen.has(to)).toBe(false); // every state is a new epoch
            seen.add(to);
            previous = to;
            if (to.kind === 'open') {
              expect(to.until).toBeGreaterThanOrEqual(clock.now());
              expect(to.until - clock.now()).toBeLessThanOrEqual(longest);
              // One more break in the series; a closed circuit starts a new one.
              expect(to.breaks.count).toBe(from.kind === 'closed' ? 1 : beforeBreaks + 1);
            } else {
              expect(error).toBeUndefined();
            }
            if (from.kind === 'halfOpen' && to.kind !== 'isolated' && event.type !== 'reset') {
              // A half-open state decides within its probes' time, or reopens once it is up.
              const start = firstProbe.get(from);
              const late =
                config.maxHalfOpenDuration !== undefined &&
                start !== undefined &&
                clock.now() >= start + config.maxHalfOpenDuration;
              if (late) expect(to.kind).toBe('open');
              if (event.type === 'refresh') expect(late).toBe(true);
            }
            if (to.kind === 'halfOpen') {
              expect(to.successes).toBe(0);
              expect(to.breaks).toBe((from as { breaks: BreakSeries }).breaks);
            }
            if (to.kind === 'isolated' && from.kind !== 'closed') expect(to.breaks).toBe(from.breaks);
          }
          expect(circuit.state).toBe(previous);

          // Invariants of the current state.
          const state = circuit.state;
          const probes = running.filter((c) => c.admittedIn.kind === 'halfOpen').length;
          expect(circuit.probes).toBe(probes);
          expect(circuit.probes).toBeLessThanOrEqual(config.halfOpenProbes);
          if (state.kind === 'halfOpen') {
            const start = firstProbe.get(state);
            expect(state.deadline).toBe(
              start === undefined || config.maxHalfOpenDuration === undefined
                ? Number.POSITIVE_INFINITY
                : start + config.maxHalfOpenDuration,
            );
            expect(state.successes).toBeLessThan(config.halfOpenProbes);
            expect(circuit.probes + state.successes).toBeLessThanOrEqual(config.halfOpenProbes);
          }
          if (state.kind === 'isolated') expect(handles.length).toBeGreaterThan(0);
          if (handles.length > 0) expect(state.kind).toBe('isolated');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('counts a probe slot for every probe running or succeeded, and closes once every slot succeeded', async () => {
    const clock = new VirtualClock();
    const changes: string[] = [];
    const circuit = new Circuit({
      halfOpenAfter: 100,
      halfOpenProbes: 2,
      tracker: consecutive(1).start(undefined),
      clock,
      onTransition: (from, to) => changes.push(`${from.kind}->${to.kind}`),
    });
    circuit.record(circuit.state, FAILED, 0, new Error('down'));
    const open = circuit.state;
    if (open.kind !== 'open') throw new Error('expected open');
    expect(open.until).toBe(100);
    await clock.advance(100);
    const halfOpen = circuit.refresh();
    if (halfOpen.kind !== 'halfOpen') throw new Error('expected halfOpen');
    expect(circuit.takeProbeSlot(halfOpen)).toBe(true);
    expect(circuit.takeProbeSlot(halfOpen)).toBe(true);
    expect(circuit.takeProbeSlot(halfOpen)).toBe(false);
    circuit.freeProbeSlot();
    circuit.record(halfOpen, OK, clock.now(), undefined);
    // One probe succeeded and one runs: both slots are still taken.
    expect(circuit.takeProbeSlot(halfOpen)).toBe(false);
    circuit.freeProbeSlot();
    circuit.record(halfOpen, OK, clock.now(), undefined);
    expect(circuit.state.kind).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->halfOpen', 'halfOpen->closed']);
  });

  it('a slow probe reopens the circuit, for the next break of the series', () => {
    const clock = new VirtualClock();
    const circuit = new Circuit({
      halfOpenAfter: linear({ initialDelay: 100, step: 100, maxDelay: 1_000 }),
      halfOpenProbes: 1,
      tracker: consecutive(1).start(undefined),
      clock,
      onTransition: () => {},
    });
    circuit.record(circuit.state, FAILED, 0, undefined);
    const first = circuit.state;
    if (first.kind !== 'open') throw new Error('expected open');
    const probe = circuit.halfOpen(first);
    circuit.record(probe, SLOW, 0, undefined);
    const second = circuit.state;
    if (second.kind !== 'open') throw new Error('expected open');
    expect([first.until, second.until]).toEqual([100, 200]);
    expect(second.breaks).toBe(first.breaks);
    expect(second.breaks.count).toBe(2);
  });
});

describe('BreakSeries', () => {
  it('a restored series continues the growth where the saved one was', () => {
    const backoff = linear({ initialDelay: 100, step: 100, maxDelay: 450 });
    const fresh = new BreakSeries(backoff, 0);
    const durations = Array.from({ length: 6 }, () => fresh.next());
    expect(durations).toEqual([100, 200, 300, 400, 450, 450]);
    for (let taken = 0; taken < 5; taken++) {
      const restored = new BreakSeries(backoff, taken);
      expect(restored.next()).toBe(durations[taken]);
      expect(restored.count).toBe(taken + 1);
    }
  });

  it('a fixed halfOpenAfter gives the same break every time', () => {
    const series = new BreakSeries(250, 3);
    expect([series.next(), series.next()]).toEqual([250, 250]);
    expect(series.count).toBe(5);
  });
});

describe('circuit snapshots (breaker/circuit-snapshot.ts)', () => {
  const make = (clock: VirtualClock, strategy: BreakerStrategy = consecutive(3)) => {
    const circuit = new Circuit({
      halfOpenAfter: linear({ initialDelay: 100, step: 100, maxDelay: 1_000 }),
      halfOpenProbes: 1,
      tracker: strategy.start(undefined),
      clock,
      onTransition: () => {},
    });
    return circuit;
  };

  it('saves and restores every state, keeping the break series', () => {
    const clock = new VirtualClock(1_000);
    const circuit = make(clock, consecutive(1));
    circuit.record(circuit.state, FAILED, clock.now(), undefined);
    const saved = saveCircuit(circuit);
    expect(saved).toEqual({
      version: 1,
      state: 'open',
      openUntil: 1_100,
      breaks: 1,
      window: { kind: 'consecutive', failures: 0 },
    });
    const restored = make(clock, consecutive(1));
    restoreCircuit(restored, saved, 'consecutive');
    expect(saveCircuit(restored)).toEqual(saved);
    const state = restored.state;
    if (state.kind !== 'open') throw new Error('expected open');
    // The next break of the restored series is the second of the backoff.
    expect(state.breaks.next()).toBe(200);
  });

  it('an isolated snapshot restores as open for the next break (no handle survives a restart)', () => {
    const clock = new VirtualClock(5_000);
    const snapshot: BreakerSnapshot = {
      version: 1,
      state: 'isolated',
      breaks: 2,
      window: { kind: 'consecutive', failures: 0 },
    };
    const circuit = make(clock);
    restoreCircuit(circuit, snapshot, 'consecutive');
    expect(saveCircuit(circuit)).toMatchObject({ state: 'open', openUntil: 5_300, breaks: 3 });
  });

  it('a closed snapshot loads the window of the same strategy kind only', () => {
    const clock = new VirtualClock();
    const window = { kind: 'consecutive' as const, failures: 2 };
    const same = make(clock);
    restoreCircuit(same, { version: 1, state: 'closed', breaks: 0, window }, 'consecutive');
    expect(saveCircuit(same).window).toEqual(window);
    const other = make(clock, countWindow({ size: 10 }));
    restoreCircuit(other, { version: 1, state: 'closed', breaks: 0, window }, 'countWindow');
    expect(saveCircuit(other).window).toEqual({ kind: 'countWindow', outcomes: [] });
  });

  it('the restored kinds of state are the union members', () => {
    const kinds: Kind[] = ['closed', 'open', 'halfOpen', 'isolated'];
    for (const kind of kinds) {
      const clock = new VirtualClock(0);
      const circuit = make(clock);
      const snapshot: BreakerSnapshot = {
        version: 1,
        state: kind,
        breaks: 1,
        window: { kind: 'consecutive', failures: 0 },
        ...(kind === 'open' ? { openUntil: 50 } : {}),
      };
      restoreCircuit(circuit, snapshot, 'consecutive');
      expect(circuit.state.kind).toBe(kind === 'isolated' ? 'open' : kind);
    }
  });
});
