import { InvalidOptionError } from '../errors.js';
import type { CircuitState } from '../events.js';
import { describe } from '../internal/validate.js';
import type { WindowSnapshot } from './strategy.js';

export const SNAPSHOT_VERSION = 1;

/**
 * A breaker's state as plain JSON (`JSON.stringify` it as is). Times are absolute clock milliseconds, so a
 * snapshot stays meaningful in another process that uses the same wall clock.
 */
export interface BreakerSnapshot {
  /**
   * The snapshot format's version (1); {@link CircuitBreakerOptions.initialState} refuses another one with {@link
   * InvalidOptionError}.
   */
  readonly version: typeof SNAPSHOT_VERSION;
  /** The circuit's state when the snapshot was taken. */
  readonly state: CircuitState;
  /** When the break ends and a probe is allowed (clock ms); only for 'open'. */
  readonly openUntil?: number;
  /** How many breaks in a row the circuit has had since it last closed (drives a growing `halfOpenAfter`). */
  readonly breaks: number;
  /** The counts the strategy uses to decide when to open. */
  readonly window: WindowSnapshot;
}

const STATES: readonly CircuitState[] = ['closed', 'open', 'halfOpen', 'isolated'];
/** Replaying more breaks than this through a backoff is pointless: every backoff is at its cap long before. */
export const MAX_BREAKS = 10_000;

/** Checks a snapshot's shape completely, so a bad one fails at construction with a message saying what is wrong. */
export function parseSnapshot(value: unknown): BreakerSnapshot {
  const fail = (message: string): never => {
    throw new InvalidOptionError('initialState', message);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`expected a snapshot object from snapshot(), got ${describe(value)}`);
  }
  const s = value as Record<string, unknown>;
  if (s.version !== SNAPSHOT_VERSION) {
    return fail(`unsupported snapshot version ${describe(s.version)} (expected ${SNAPSHOT_VERSION})`);
  }
  if (!STATES.includes(s.state as CircuitState)) {
    return fail(`"state" must be one of ${STATES.join(', ')}, got ${describe(s.state)}`);
  }
  if (!isCount(s.breaks) || (s.breaks as number) > MAX_BREAKS) {
    return fail(`"breaks" must be an integer in [0, ${MAX_BREAKS}], got ${describe(s.breaks)}`);
  }
  if (s.state === 'open' && (typeof s.openUntil !== 'number' || !Number.isFinite(s.openUntil))) {
    return fail(`an open snapshot needs a finite "openUntil", got ${describe(s.openUntil)}`);
  }
  const window = parseWindow(s.window, fail);
  return {
    version: SNAPSHOT_VERSION,
    state: s.state as CircuitState,
    breaks: s.breaks as number,
    window,
    ...(s.state === 'open' ? { openUntil: s.openUntil as number } : {}),
  };
}

function parseWindow(value: unknown, fail: (message: string) => never): WindowSnapshot {
  if (typeof value !== 'object' || value === null)
    return fail(`"window" must be an object, got ${describe(value)}`);
  const w = value as Record<string, unknown>;
  switch (w.kind) {
    case 'consecutive':
      if (!isCount(w.failures))
        return fail(`"window.failures" must be an integer >= 0, got ${describe(w.failures)}`);
      return { kind: 'consecutive', failures: w.failures as number };
    case 'countWindow': {
      const outcomes = w.outcomes;
      if (!Array.isArray(outcomes) || !outcomes.every((o) => o === 0 || o === 1 || o === 2 || o === 3)) {
        return fail('"window.outcomes" must be an array of 0, 1, 2 or 3');
      }
      if (outcomes.length > 1_000_000) return fail('"window.outcomes" holds more than 1000000 entries');
      return { kind: 'countWindow', outcomes: [...outcomes] };
    }
    case 'timeWindow': {
      const buckets = w.buckets;
      if (!Array.isArray(buckets) || buckets.length > 1000 || !buckets.every(isBucket)) {
        return fail(
          '"window.buckets" must be at most 1000 entries [midpoint, calls, failures, slow] with failures and slow <= calls',
        );
      }
      return { kind: 'timeWindow', buckets: buckets.map((b) => [b[0], b[1], b[2], b[3]] as const) };
    }
    default:
      return fail(`unknown "window.kind" ${describe(w.kind)}`);
  }
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isBucket(value: unknown): value is [number, number, number, number] {
  if (!Array.isArray(value) || value.length !== 4) return false;
  const [at, calls, failures, slow] = value as unknown[];
  return (
    typeof at === 'number' &&
    Number.isFinite(at) &&
    isCount(calls) &&
    isCount(failures) &&
    isCount(slow) &&
    (failures as number) <= (calls as number) &&
    (slow as number) <= (calls as number)
  );
}
