import type { PolicyEventName, Unsubscribe } from '../events.js';
import { HOLD, type Holders, type SlotHolder } from '../internal/slot-holders.js';
import type { AnyPolicy } from '../policy.js';

/** A registry-wide listener (`KeyedPolicy.on`): attached to every key's policy, current and future. */
export interface Subscription {
  readonly event: PolicyEventName;
  readonly listener: (payload: never, key: never) => void;
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

  /** Attaches a registry-wide listener to this key's policy; it gets the key after the event's payload. */
  listen(subscription: Subscription): void {
    const key = this.key;
    const listener = subscription.listener as (payload: unknown, key: K) => void;
    const remove = this.policy.on(subscription.event, (payload: unknown) => listener(payload, key));
    this.removers.set(subscription, remove);
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
