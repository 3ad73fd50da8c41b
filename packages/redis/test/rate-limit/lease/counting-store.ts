import type {
  AcquireRequest,
  AcquireResult,
  AdjustRequest,
  PauseRequest,
  RateLimitStore,
  ReadRequest,
} from '@bulwark/core/store';

/**
 * A store in front of another that counts what reaches it: round trips, units admitted per limit, units given
 * back by refunds. What the lease took from the shared store, to check what it handed out against.
 */
export class CountingStore implements RateLimitStore {
  acquires = 0;
  readonly taken: number[];
  readonly refunded: number[];

  constructor(
    readonly inner: RateLimitStore,
    limits: number,
  ) {
    this.taken = new Array<number>(limits).fill(0);
    this.refunded = new Array<number>(limits).fill(0);
  }

  async acquire(request: AcquireRequest): Promise<AcquireResult> {
    this.acquires++;
    const costs = [...request.costs];
    const result = await this.inner.acquire(request);
    if (result.admitted) for (let i = 0; i < costs.length; i++) this.taken[i]! += costs[i]!;
    return result;
  }

  async adjust(request: AdjustRequest): Promise<void> {
    for (let i = 0; i < request.deltas.length; i++) {
      const d = request.deltas[i]!;
      if (d < 0) this.refunded[i]! -= d;
    }
    await this.inner.adjust(request);
  }

  async pause(request: PauseRequest): Promise<void> {
    await this.inner.pause(request);
  }

  async read(request: ReadRequest) {
    return this.inner.read(request);
  }
}
