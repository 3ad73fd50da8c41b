import type { TimerHandle } from '@bulwark/core';
import type { Admission, Admitted } from '@bulwark/core/store';

/**
 * Tokens one round trip took from the store, handed out here one call at a time. The store recorded all of them
 * (`admission`) before the first was handed out, so handing them out never admits more than the store allowed.
 */
export class Lease {
  /** What is left to hand out, per limit. */
  readonly balance: number[];
  /** The answer of every hand-out (shared, so a hand-out allocates nothing): admitted when the store took them. */
  readonly answer: Admitted;

  constructor(
    /** The store's admission of the whole batch: what a refund of the rest, and a caller's adjust, refer to. */
    readonly admission: Admission,
    /** The caller's clock when it was taken: hand-outs stop `maxHoldMs` later. */
    readonly takenAt: number,
    /** The first call's costs, taken at once. */
    first: readonly number[],
  ) {
    this.balance = admission.costs.map((c, i) => c - first[i]!);
    this.answer = Object.freeze({ admitted: true, at: admission.at });
  }

  /** Takes `costs` from every limit at once, or nothing when one of them falls short. */
  take(costs: readonly number[]): boolean {
    const balance = this.balance;
    for (let i = 0; i < balance.length; i++) if (costs[i]! > balance[i]!) return false;
    for (let i = 0; i < balance.length; i++) balance[i] = balance[i]! - costs[i]!;
    return true;
  }

  /** The refund of what was not handed out (deltas per limit), or undefined when nothing is left. */
  leftover(): number[] | undefined {
    return this.balance.some((b) => b > 0) ? this.balance.map((b) => (b > 0 ? -b : 0)) : undefined;
  }
}

/** One key's leasing: its current lease, the refill in flight, and when to try a lease again after a refusal. */
export class KeyLeasing {
  lease: Lease | undefined = undefined;
  /** Settles when the refill in flight does: calls that find no tokens meanwhile wait for it. */
  refilling: Promise<void> | undefined = undefined;
  /** Until then (caller's clock) calls go to the store one by one: a whole batch was just refused. */
  directUntil = Number.NEGATIVE_INFINITY;
  /** Ends the lease (or the direct period) and forgets the key once idle. */
  timer: TimerHandle | undefined = undefined;

  constructor(readonly key: string) {}
}
