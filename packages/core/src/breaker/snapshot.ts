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

/**
 * Checks a snapshot's shape completely, so a bad one fails at construction with a message saying what is wrong
 * (which field, and what it holds).
 */
export function parseSnapshot(value: unknown): BreakerSnapshot {
  const s = (isObject(value) ? value : {}) as Record<string, unknown>;
  const w = (isObject(s.window) ? s.window : {}) as Record<string, unknown>;
  const { outcomes, buckets } = w;
  need(isObject(value) && !Array.isArray(value), 'a snapshot object from snapshot()', value);
  need(s.version === SNAPSHOT_VERSION, `"version" ${SNAPSHOT_VERSION}`, s.version);
  need(STATES.includes(s.state as CircuitState), `"state" one of ${STATES.join(', ')}`, s.state);
  need(
    isCount(s.breaks) && (s.breaks as number) <= MAX_BREAKS,
    `"breaks" an integer in [0, ${MAX_BREAKS}]`,
    s.breaks,
  );
  if (s.state === 'open') need(Number.isFinite(s.openUntil), 'a finite "openUntil" (open)', s.openUntil);
  let window: WindowSnapshot;
  if (w.kind === 'consecutive') {
    need(isCount(w.failures), '"window.failures" an integer >= 0', w.failures);
    window = { kind: 'consecutive', failures: w.failures as number };
  } else if (w.kind === 'countWindow') {
    need(
      Array.isArray(outcomes) && outcomes.length <= 1_000_000 && outcomes.every((o) => o === (o & 3)),
      '"window.outcomes" at most 1000000 of 0, 1, 2 or 3',
      outcomes,
    );
    window = { kind: 'countWindow', outcomes: [...(outcomes as number[])] };
  } else {
    need(w.kind === 'timeWindow', '"window" of kind consecutive, countWindow or timeWindow', s.window);
    need(
      Array.isArray(buckets) && buckets.length <= 1000 && buckets.every(isBucket),
      '"window.buckets" at most 1000 [midpoint, calls, failures, slow] with failures and slow <= calls',
      buckets,
    );
    window = {
      kind: 'timeWindow',
      buckets: (buckets as number[][]).map((b) => [b[0]!, b[1]!, b[2]!, b[3]!] as const),
    };
  }
  return {
    version: SNAPSHOT_VERSION,
    state: s.state as CircuitState,
    breaks: s.breaks as number,
    window,
    ...(s.state === 'open' ? { openUntil: s.openUntil as number } : {}),
  };
}

function need(ok: boolean, expected: string, got: unknown): void {
  if (!ok) throw new InvalidOptionError('initialState', `expected ${expected}, got ${describe(got)}`);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isBucket(value: unknown): boolean {
  if (!Array.isArray(value) || value.length !== 4) return false;
  const [at, calls, failures, slow] = value as unknown[];
  return (
    Number.isFinite(at) &&
    isCount(calls) &&
    isCount(failures) &&
    isCount(slow) &&
    (failures as number) <= (calls as number) &&
    (slow as number) <= (calls as number)
  );
}
