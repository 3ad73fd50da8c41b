import type { Clock } from '@bulwark/core';
import type {
  AcquireRequest,
  AcquireResult,
  AdjustRequest,
  PauseRequest,
  RateLimitScope,
  RateLimitStore,
  ReadRequest,
  ReadResult,
  RelimitRequest,
} from '@bulwark/core/store';
import { requireMethods } from '@bulwark/core/validate';
import { KeyLeasing, Lease } from './lease.js';
import { type LeaseOptions, leaseSettings } from './options.js';

/**
 * A local lease in front of a shared store (the Redis one), for high-rate limits: a call that finds no tokens
 * here takes `size` calls' worth from the store in one round trip, all limits at once; the next calls of the same
 * key are handed tokens from it without a round trip, until it runs out or `maxHoldMs` passes, and what is left
 * then goes back to the store through `adjust`.
 *
 * No over-admission: every token handed out was taken on the store first, so the fleet never takes more than
 * the limits allow. The cost: a process may hold tokens another process is waiting for (at most `size` calls'
 * worth per key and process, for at most `maxHoldMs`), a pause set by another process stops this one's hand-outs
 * only when its lease ends (at the latest `maxHoldMs` later), and each hand-out counts from the time its lease
 * was taken. See docs/distributed.md, "Local lease".
 */
export class LeasedRateLimitStore implements RateLimitStore {
  /** Calls' worth of tokens one round trip takes: {@link LeaseOptions.size}. */
  readonly size: number;
  /** Longest a process keeps leased tokens (ms): {@link LeaseOptions.maxHoldMs}. */
  readonly maxHoldMs: number;
  private readonly clock: Clock;
  private readonly keys = new WeakMap<RateLimitScope, Map<string, KeyLeasing>>();
  /** Per scope id, the scope object its leases were taken for (a relimit brings a new one). */
  private readonly leased = new Map<string, RateLimitScope>();

  constructor(
    /** The shared store the tokens come from. */
    readonly store: RateLimitStore,
    options: LeaseOptions,
  ) {
    requireMethods('store', store, ['acquire', 'adjust', 'pause', 'read'], 'a RateLimitStore');
    const settings = leaseSettings(options);
    this.size = settings.size;
    this.maxHoldMs = settings.maxHoldMs;
    this.clock = settings.clock;
  }

  acquire(request: AcquireRequest): AcquireResult | Promise<AcquireResult> {
    const leasing = this.keys.get(request.scope)?.get(request.key);
    const lease = leasing?.lease;
    if (lease !== undefined && this.handOut(lease, request)) return lease.answer;
    return this.refill(request);
  }

  /** An adjust of a hand-out refers to its lease's admission, which the store recorded: it goes to the store. */
  adjust(request: AdjustRequest): void | PromiseLike<void> {
    return this.store.adjust(request);
  }

  /** Ends this process's leases of the key (or of the scope) first, giving back their rest, then pauses. */
  pause(request: PauseRequest): void | PromiseLike<void> {
    const keys = this.keys.get(request.scope);
    if (keys !== undefined) {
      if (request.key === undefined)
        for (const leasing of [...keys.values()]) this.end(request.scope, leasing);
      else {
        const leasing = keys.get(request.key);
        if (leasing !== undefined) this.end(request.scope, leasing);
      }
    }
    return this.store.pause(request);
  }

  /**
   * Ends this process's leases of the scope first, giving back their rest under the numbers they were taken with,
   * then has the store convert (when it can).
   */
  relimit(request: RelimitRequest): void | PromiseLike<void> {
    const before = this.leased.get(request.scope.id);
    if (before !== undefined && before !== request.scope) {
      this.leased.delete(request.scope.id);
      const keys = this.keys.get(before);
      if (keys !== undefined) for (const leasing of [...keys.values()]) this.end(before, leasing);
    }
    return this.store.relimit?.(request);
  }

  /** The store's state: leased tokens count as taken there, handed out or not. */
  read(request: ReadRequest): ReadResult | PromiseLike<ReadResult> {
    return this.store.read(request);
  }

  /** Hands out `request.costs` from the lease if it is still current and holds them all. */
  private handOut(lease: Lease, request: AcquireRequest): boolean {
    if (request.now - lease.takenAt >= this.maxHoldMs || !lease.take(request.costs)) return false;
    const marks = request.marks;
    if (marks !== undefined) {
      const leased = lease.admission.marks;
      for (let i = 0; i < leased.length; i++) marks[i] = leased[i]!;
    }
    return true;
  }

  private async refill(request: AcquireRequest): Promise<AcquireResult> {
    const { scope, key, now } = request;
    const leasing = this.leasing(scope, key);
    // Others found the lease empty first: wait for their refill, then try its tokens.
    while (leasing.refilling !== undefined) {
      await leasing.refilling;
      const lease = leasing.lease;
      if (lease !== undefined && this.handOut(lease, request)) return lease.answer;
    }
    if (now >= leasing.directUntil) {
      const answer = await this.takeLease(scope, leasing, request);
      if (answer !== undefined) return answer;
    }
    return this.store.acquire(request);
  }

  /** One round trip for a batch: the lease's admission, or undefined (refused: calls go one by one a while). */
  private async takeLease(
    scope: RateLimitScope,
    leasing: KeyLeasing,
    request: AcquireRequest,
  ): Promise<AcquireResult | undefined> {
    const { costs, now } = request;
    this.end(scope, leasing, false);
    // A batch no limit could ever admit would never be taken: at most each limit's capacity.
    const batch = scope.limits.map((l, i) =>
      Math.max(costs[i]!, Math.min(costs[i]! * this.size, l.capacity)),
    );
    const marks: number[] = [];
    let settle = () => {};
    leasing.refilling = new Promise<void>((resolve) => (settle = resolve));
    try {
      const result = await this.store.acquire({ scope, key: leasing.key, costs: batch, now, marks });
      if (!result.admitted) {
        leasing.directUntil = now + Math.min(result.retryAfterMs, this.maxHoldMs);
        this.arm(scope, leasing, this.maxHoldMs);
        return undefined;
      }
      const lease = new Lease({ at: result.at ?? now, costs: batch, marks }, now, costs);
      leasing.lease = lease;
      // Forgotten meanwhile (a pause of the scope): known again, so the next calls find the lease.
      if (this.keys.get(scope)?.get(leasing.key) !== leasing) this.leasing(scope, leasing.key, leasing);
      this.arm(scope, leasing, this.maxHoldMs);
      if (request.marks !== undefined) for (let i = 0; i < marks.length; i++) request.marks[i] = marks[i]!;
      return lease.answer;
    } finally {
      leasing.refilling = undefined;
      settle();
    }
  }

  private leasing(scope: RateLimitScope, key: string, given?: KeyLeasing): KeyLeasing {
    let keys = this.keys.get(scope);
    if (keys === undefined) {
      keys = new Map();
      this.keys.set(scope, keys);
      this.leased.set(scope.id, scope);
    }
    let leasing = given ?? keys.get(key);
    if (leasing === undefined || given !== undefined) {
      leasing ??= new KeyLeasing(key);
      keys.set(key, leasing);
    }
    return leasing;
  }

  /** When the lease (or the direct period) ends: its rest goes back, and an idle key is forgotten. */
  private arm(scope: RateLimitScope, leasing: KeyLeasing, ms: number): void {
    if (leasing.timer !== undefined) this.clock.clearTimer(leasing.timer);
    leasing.timer = this.clock.setTimer(() => this.end(scope, leasing), ms, { unref: true });
  }

  /** Ends the key's lease, giving back what is left; forgets the key unless a refill is under way (`forget`). */
  private end(scope: RateLimitScope, leasing: KeyLeasing, forget = true): void {
    if (leasing.timer !== undefined) {
      this.clock.clearTimer(leasing.timer);
      leasing.timer = undefined;
    }
    const lease = leasing.lease;
    leasing.lease = undefined;
    if (forget && leasing.refilling === undefined) {
      const keys = this.keys.get(scope);
      if (keys?.get(leasing.key) === leasing) keys.delete(leasing.key);
    }
    const deltas = lease?.leftover();
    if (lease === undefined || deltas === undefined) return;
    const request = { scope, key: leasing.key, deltas, admission: lease.admission, now: this.clock.now() };
    // A refund that fails is not retried: those tokens come back on their own when their usage expires.
    try {
      const done = this.store.adjust(request);
      if (done !== undefined) Promise.resolve(done).then(undefined, () => {});
    } catch {}
  }
}

/**
 * A local lease in front of `store` (see LeasedRateLimitStore).
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call). Also when `store` lacks a store's methods.
 */
export function leaseStore(store: RateLimitStore, options: LeaseOptions): LeasedRateLimitStore {
  return new LeasedRateLimitStore(store, options);
}
