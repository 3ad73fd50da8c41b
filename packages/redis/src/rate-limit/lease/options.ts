import type { Clock } from '@bulwark/core';
import { clockOf, orDefault, requireAtLeast, requireOptions, requirePositive } from '@bulwark/core/validate';

/** Options of {@link leaseStore}; a bad value throws `InvalidOptionError` naming the option. */
export interface LeaseOptions {
  /**
   * How many calls' worth of tokens one round trip takes: a call that finds no local tokens asks the store for
   * its costs times `size` on every limit, all or nothing, takes its own share and keeps the rest for the next
   * calls of the same key. Required; at least 1 (1 takes nothing ahead). Pick it well below what the limits allow
   * per `maxHoldMs`, or one process may hold what the others are waiting for.
   */
  readonly size: number;
  /**
   * Longest time (ms) a process hands out tokens of one lease; then what is left goes back to the store (a refund
   * through `adjust`) and the next call takes a new lease. It also bounds how late a pause set by another process
   * stops this one (see docs/distributed.md, "Local lease"). Default 100.
   */
  readonly maxHoldMs?: number;
  /** Clock for the leases' ends (an unref'd timer each). Give it the limiters' clock. Default: the real clock. */
  readonly clock?: Clock;
}

export interface LeaseSettings {
  readonly size: number;
  readonly maxHoldMs: number;
  readonly clock: Clock;
}

export function leaseSettings(options: LeaseOptions): LeaseSettings {
  const o = requireOptions(options, 'size');
  return {
    size: requireAtLeast('size', o.size, 1),
    maxHoldMs: requirePositive('maxHoldMs', orDefault(o.maxHoldMs, 100)),
    clock: clockOf(o.clock),
  };
}
