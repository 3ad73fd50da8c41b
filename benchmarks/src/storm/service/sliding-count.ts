/**
 * A sum over a sliding time window, counted in fixed slices: O(1) per add, whatever the rate. The window is the
 * current slice and the `slices - 1` before it, so it reaches back between `windowMs - windowMs / slices` and
 * `windowMs`: good enough for a load model.
 */
export class SlidingCount {
  private readonly sliceMs: number;
  private readonly counts: Float64Array;
  /** Index (time / sliceMs) of the newest slice written. */
  private head = Number.NEGATIVE_INFINITY;
  private sum = 0;

  constructor(
    readonly windowMs: number,
    readonly slices: number,
  ) {
    this.sliceMs = windowMs / slices;
    this.counts = new Float64Array(slices);
  }

  /** Sum over the window ending at `now`. */
  total(now: number): number {
    this.roll(now);
    return this.sum;
  }

  add(now: number, amount: number): void {
    this.roll(now);
    this.counts[this.head % this.slices]! += amount;
    this.sum += amount;
  }

  /**
   * Time (ms from `now`) until the total drops to `target` or below if nothing else is added; 0 when it already is.
   * The quota's RetryInfo: when enough old requests have left the window.
   */
  waitUntilAtMost(now: number, target: number): number {
    this.roll(now);
    let left = this.sum;
    if (left <= target) return 0;
    for (let age = this.slices - 1; age >= 0; age--) {
      const index = this.head - age;
      if (index < 0) continue;
      left -= this.counts[index % this.slices]!;
      if (left <= target) {
        // That slice leaves the window when the window's start passes its end.
        return Math.max(0, (index + 1) * this.sliceMs + this.windowMs - this.sliceMs - now);
      }
    }
    return this.windowMs;
  }

  private roll(now: number): void {
    const index = Math.floor(now / this.sliceMs);
    if (index <= this.head) return;
    if (index - this.head >= this.slices || this.head === Number.NEGATIVE_INFINITY) {
      this.counts.fill(0);
      this.sum = 0;
    } else {
      for (let i = this.head + 1; i <= index; i++) {
        const slot = i % this.slices;
        this.sum -= this.counts[slot]!;
        this.counts[slot] = 0;
      }
    }
    this.head = index;
  }
}
