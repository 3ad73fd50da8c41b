import { type BreakerState, BreakSeries, type Circuit, longestBreak, NEVER } from './circuit.js';
import { type BreakerSnapshot, MAX_BREAKS, SNAPSHOT_VERSION } from './snapshot.js';
import type { StrategyKind } from './strategy.js';

/** A circuit's state as a snapshot (see snapshot.ts for the format). Moves an open circuit whose break is over on. */
export function saveCircuit(circuit: Circuit): BreakerSnapshot {
  const state = circuit.refresh();
  const { tracker, clock } = circuit.config;
  return {
    version: SNAPSHOT_VERSION,
    state: state.kind,
    ...(state.kind === 'open' ? { openUntil: state.until } : {}),
    breaks: Math.min(state.kind === 'closed' ? 0 : state.breaks.count, MAX_BREAKS),
    window: tracker.save(clock.now()),
  };
}

/**
 * Starts a new circuit from a validated snapshot, possibly saved by another process or configuration: a window of
 * another strategy (`strategy` is this breaker's) starts empty, and no saved time keeps the circuit open longer
 * than one longest break from now.
 */
export function restoreCircuit(circuit: Circuit, snapshot: BreakerSnapshot, strategy: StrategyKind): void {
  const { tracker, clock, halfOpenAfter } = circuit.config;
  const now = clock.now();
  const breaks = new BreakSeries(halfOpenAfter, snapshot.breaks);
  let state: BreakerState;
  switch (snapshot.state) {
    case 'closed':
      // A window saved by another strategy (or none) starts empty: a documented fallback, not an error.
      if (snapshot.window.kind === strategy) tracker.load(snapshot.window, now);
      return;
    case 'halfOpen':
      state = {
        kind: 'halfOpen',
        successes: 0,
        failures: 0,
        deadline: NEVER,
        breaks,
        cause: undefined,
      };
      break;
    case 'open':
      // A clock-skewed or forged snapshot cannot keep the circuit open longer than one longest break.
      state = {
        kind: 'open',
        until: Math.min(snapshot.openUntil!, now + longestBreak(halfOpenAfter)),
        breaks,
        cause: undefined, // errors are not saved: a restored circuit's refusals have no cause
      };
      break;
    case 'isolated': {
      // No isolation handle survives a restart: keep the dependency off for one break, then probe it.
      const duration = breaks.next();
      state = { kind: 'open', until: now + duration, breaks, cause: undefined };
      break;
    }
  }
  circuit.restore(state);
}
