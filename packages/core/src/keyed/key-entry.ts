import type { Unsubscribe } from '../events.js';
import { HOLD, type Holders, type SlotHolder } from '../internal/slot-holders.js';
import type { AnyPolicy } from '../policy.js';

/**
 * Something attached to every key's policy, current and future (`KeyedPolicy.on`, `KeyedPolicy.attach`): `attach`
 * runs once per key's policy and returns what detaches it, run when the key leaves or the subscription ends.
 */
export interface Subscription {
  readonly attach: (policy: never, key: never) => Unsubscribe | void;
}

/**
 * One key's policy, its activity and its listeners. It holds its key in the registry for work a layer of the key's
 * policy left running when it answered its caller (an aggressive timeout that expired, a caller abort): evicting
 * the key then would build a second policy (a second bulkhead, a second breaker) beside the work still running
 * under the first.
 */
export class Entry<P extends AnyPolicy, K> implements SlotHolder {
  inFlight = 0;
  /** Removers of the registry-wide listeners attached to this policy. */
  private readonly removers = new Map<Subscription, Unsubscribe>();
  /** This entry as the one slot holder around its policy (built once: a pipeline caches per holders list). */
  readonly holders: Holders = Object.freeze([this]);

  constructor(
    readonly key: K,
    readonly policy: P,
    public lastUsed: number,
    private readonly settle: (entry: Entry<P, K>) => void,
  ) {}

  /** @internal Work left running keeps the key busy until it settles. */
  [HOLD](work: Promise<unknown>): void {
    this.inFlight++;
    const done = (): void => this.settle(this);
    work.then(done, done);
  }

  /** Attaches a registry-wide subscription to this key's policy. */
  listen(subscription: Subscription): void {
    const attach = subscription.attach as (policy: P, key: K) => Unsubscribe | void;
    const remove = attach(this.policy, this.key);
    if (typeof remove === 'function') this.removers.set(subscription, remove);
  }

  unlisten(subscription: Subscription): void {
    this.removers.get(subscription)?.();
    this.removers.delete(subscription);
  }

  /** Detaches every registry-wide listener: the key leaves the registry. */
  unlistenAll(): void {
    for (const remove of this.removers.values()) remove();
    this.removers.clear();
  }
}
