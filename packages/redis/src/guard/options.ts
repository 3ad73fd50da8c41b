import { type Backoff, type Clock, exponential } from '@bulwark/core';
import {
  clockOf,
  orDefault,
  policyName,
  requireInteger,
  requireMethods,
  requireOneOf,
  requirePositive,
} from '@bulwark/core/validate';

/**
 * What calls get while the guarded store is down:
 * - `'local'`: each process's own limits. An in-memory store (core's MemoryRateLimitStore) applies the same limits
 *   to this process alone, so a fleet of N processes may admit up to N times the limit until the store recovers
 *   (what it did before sharing its limits); pauses (a 429's) still hold this process.
 * - `'admit'`: everything is admitted, except while a pause of this process holds.
 * - `'refuse'`: acquire and read throw a StoreUnavailableError (a local refusal), adjust rejects with it; pause
 *   still applies to this process.
 */
export type StoreErrorMode = 'local' | 'admit' | 'refuse';

/** Options of {@link guardStore}; a bad value throws `InvalidOptionError` naming the option. */
export interface GuardStoreOptions {
  /**
   * Longest wait (ms) for one answer of the store, for every operation. A call that takes longer counts as a
   * failure: the caller gets the fallback's answer at that point, and the store's late answer is ignored. Default
   * 250: more than a hundred times a healthy round trip to Redis on the same network (well under a millisecond, a
   * few at p99; a script runs in microseconds), so it only fires on a stall (a dead host whose connection has not
   * closed yet, a full network buffer, a blocked server), and small enough that a stall adds a quarter of a second
   * to a call, not a hang.
   */
  readonly callTimeoutMs?: number;
  /** What calls get while the store is down. Default `'local'` (see StoreErrorMode). */
  readonly onStoreError?: StoreErrorMode;
  /**
   * Delays between probes of a store that is down (a probe is one `read`; at most one is in flight). A new
   * sequence starts with each outage. Default `exponential({ initialDelay: 500, maxDelay: 10_000, jitter: 'equal' })`:
   * 250-500 ms after the failure, then doubling, at most 10 s apart, jittered so a fleet does not probe in step. A
   * delay shorter than 50 ms counts as 50 ms (a store that fails at once is not probed in a tight loop); one that is
   * not a finite number >= 0 counts as 10 s.
   */
  readonly probeBackoff?: Backoff;
  /** Most keys the local store keeps per set of limits (core's MemoryRateLimitStore `maxKeys`). Default 100 000. */
  readonly localMaxKeys?: number;
  /**
   * Clock for the call timeouts and probes, and for the time a call spent on the store before the fallback answered
   * it (the fallback decides at the request's time plus that). Give it the clock of the limiters using the store (a
   * VirtualClock in tests). Default: the real clock.
   */
  readonly clock?: Clock;
  /** Names the store in events and errors. Default `'store'`. */
  readonly name?: string;
}

export interface GuardSettings {
  readonly name: string;
  readonly callTimeoutMs: number;
  readonly mode: StoreErrorMode;
  readonly probeBackoff: Backoff;
  readonly localMaxKeys: number;
  readonly clock: Clock;
}

const MODES: readonly StoreErrorMode[] = ['local', 'admit', 'refuse'];

/** The probe delay a backoff's bad value stands for. */
export const MAX_PROBE_DELAY = 10_000;
/** The shortest delay between probes. */
export const MIN_PROBE_DELAY = 50;

const DEFAULT_PROBES = /* @__PURE__ */ exponential({
  initialDelay: 500,
  maxDelay: MAX_PROBE_DELAY,
  jitter: 'equal',
});

/** Checks the options once; a bad value throws InvalidOptionError naming it. */
export function guardSettings(options: GuardStoreOptions | undefined): GuardSettings {
  const name = policyName(options, 'store');
  const o = options ?? {};
  return {
    name,
    callTimeoutMs: requirePositive('callTimeoutMs', orDefault(o.callTimeoutMs, 250)),
    mode: requireOneOf('onStoreError', orDefault(o.onStoreError, 'local'), MODES),
    probeBackoff: requireMethods<Backoff>(
      'probeBackoff',
      orDefault(o.probeBackoff, DEFAULT_PROBES),
      ['start'],
      'a Backoff such as exponential()',
    ),
    localMaxKeys: requireInteger('localMaxKeys', orDefault(o.localMaxKeys, 100_000), 1, true),
    clock: clockOf(o.clock),
  };
}
