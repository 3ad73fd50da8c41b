import type { Clock } from '../clock.js';
import { type Cost, costsFor } from './cost.js';
import type { Grant, GrantOwner } from './costed-task.js';
import type { Admission, RateLimitScope, RateLimitStore } from './store.js';
import { isThenable } from '../internal/thenable.js';

/**
 * Changes to admissions already made: withCost's reconcile and refund, and the usage of a caller that left before
 * running. Each is one `adjust` on the store; once the store has applied it, the key's waiting callers are
 * projected again (`changed`), since they may now start earlier or later.
 */
export class Corrections implements GrantOwner {
  constructor(
    private readonly store: RateLimitStore,
    /** The policy's scope; replaced by setLimits. */
    public scope: RateLimitScope,
    private readonly clock: Clock,
    private readonly changed: (key: string | undefined) => void,
  ) {}

  /** Corrects an admission made for a withCost task to `actual` (undefined: give everything back). */
  settleGrant(grant: Grant, actual: Cost | undefined): Promise<void> {
    try {
      const costs = costsFor(this.scope.limits, actual, false);
      let changed = false;
      const deltas = costs.map((c, i) => {
        const delta = c - grant.costs[i]!;
        if (delta !== 0) changed = true;
        return delta;
      });
      if (!changed) return Promise.resolve();
      const done = this.store.adjust({
        scope: this.scope,
        key: grant.key,
        deltas,
        admission: grant,
        now: this.clock.now(),
      });
      return this.applied(done, grant.key);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Gives back an admission that never ran. Best effort: if the store fails, the usage simply expires. */
  giveBack(key: string, admission: Admission): void {
    const deltas = admission.costs.map((c) => -c);
    let done: void | PromiseLike<void>;
    try {
      done = this.store.adjust({ scope: this.scope, key, deltas, admission, now: this.clock.now() });
    } catch {
      return;
    }
    if (isThenable(done)) {
      done.then(
        () => this.changed(key),
        () => {},
      );
      return;
    }
    this.changed(key);
  }

  /** Once the store has applied a change to `key` (every key when undefined), projects its waiters again. */
  applied(done: void | PromiseLike<void>, key: string | undefined): Promise<void> {
    if (isThenable(done)) return Promise.resolve(done).then(() => this.changed(key));
    this.changed(key);
    return Promise.resolve();
  }
}
