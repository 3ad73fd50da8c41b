import type { Clock } from '../clock.js';

/** Why a key's policy left the registry. */
export type EvictionReason = 'lru' | 'idle' | 'deleted' | 'cleared';

/**
 * Options of {@link keyedPolicy}. All are optional; a bad value throws {@link InvalidOptionError} naming the option.
 */
export interface KeyedPolicyOptions<P, K> {
  /**
   * Most keys kept. Building a new key beyond it evicts the least recently used key that has no execution in
   * flight (keys in use are never evicted, so the registry may exceed it while they run). Default 1000.
   */
  readonly maxKeys?: number;
  /** Evicts a key unused for this long (ms) with nothing in flight. Default: no idle eviction. */
  readonly idleTtl?: number;
  /** Called with each policy the factory builds, before it is used. */
  readonly onCreate?: (policy: P, key: K) => void;
  /** Called with each policy that leaves the registry (evicted, deleted or cleared). */
  readonly onEvict?: (policy: P, key: K, reason: EvictionReason) => void;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`. Idle eviction uses it too.
   */
  readonly clock?: Clock;
}
