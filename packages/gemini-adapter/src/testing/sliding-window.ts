/** A sliding time window of weighted events: how much happened in the last `span` ms, and when room frees up. */
export class SlidingWindow {
  private readonly times: number[] = [];
  private readonly weights: number[] = [];
  private total = 0;

  constructor(private readonly span: number) {}

  /** Sum of the weights recorded within the window ending at `now`. */
  used(now: number): number {
    this.expire(now);
    return this.total;
  }

  record(now: number, weight = 1): void {
    this.times.push(now);
    this.weights.push(weight);
    this.total += weight;
  }

  /** Milliseconds from `now` until at least `room` more fits under `limit` (0 when it already fits). */
  waitFor(now: number, limit: number, room = 1): number {
    this.expire(now);
    let total = this.total;
    for (let i = 0; i < this.times.length && total + room > limit; i++) {
      total -= this.weights[i]!;
      if (total + room <= limit) return this.times[i]! + this.span - now;
    }
    return total + room <= limit ? 0 : this.span;
  }

  private expire(now: number): void {
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! <= now - this.span) {
      this.total -= this.weights[drop]!;
      drop++;
    }
    if (drop > 0) {
      this.times.splice(0, drop);
      this.weights.splice(0, drop);
    }
  }
}
