import type { AcquireRequest, RateLimitScope } from './store.js';

/**
 * The caller's side of the store contract: an AcquireRequest filled in and lent to the store call after call, so
 * an admission allocates nothing. A store answering synchronously is done with it when it returns; one answering
 * with a promise keeps it until it settles, so the caller then takes a fresh one (see `lent`).
 */
export class AcquireArgs implements AcquireRequest {
  key = '';
  costs: readonly number[] = [];
  now = 0;
  marks: number[] | undefined = undefined;

  constructor(readonly scope: RateLimitScope) {}

  /** Fills the request for one call. */
  set(key: string, costs: readonly number[], now: number, marks: number[] | undefined): this {
    this.key = key;
    this.costs = costs;
    this.now = now;
    this.marks = marks;
    return this;
  }
}
