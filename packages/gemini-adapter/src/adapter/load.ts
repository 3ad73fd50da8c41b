/**
 * A model guard's load, for picking the least loaded target of a pool: the requests started over the last
 * minute (in one-second buckets, so it costs a fixed 60 numbers) and those in flight.
 */
const BUCKETS = 60;
const SECOND = 1000;

/** Requests a model guard started over the last minute, and those in flight. */
export class RecentLoad {
  private readonly counts = new Uint32Array(BUCKETS);
  private readonly seconds = new Float64Array(BUCKETS).fill(Number.NEGATIVE_INFINITY);
  /** Requests sent and not settled yet. */
  inFlight = 0;

  /** A request starts now. */
  started(now: number): void {
    const second = Math.floor(now / SECOND);
    const i = ((second % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.seconds[i] !== second) {
      this.seconds[i] = second;
      this.counts[i] = 0;
    }
    this.counts[i]!++;
    this.inFlight++;
  }

  /** A request settled. */
  settled(): void {
    this.inFlight--;
  }

  /** Requests started within the last minute. */
  lastMinute(now: number): number {
    const since = Math.floor(now / SECOND) - BUCKETS;
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) if (this.seconds[i]! > since) total += this.counts[i]!;
    return total;
  }
}
