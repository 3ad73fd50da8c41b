import { SlidingCounter } from '@bulwark/core/testing';

/**
 * A sum over a sliding time window, counted in fixed slices (core's SlidingCounter): O(1) per add, whatever the
 * rate. The window is the current slice and the `slices - 1` before it, so it reaches back between
 * `windowMs - windowMs / slices` and `windowMs`: good enough for a load model.
 */
export class SlidingCount {
  private readonly sliceMs: number;
  private readonly counter: SlidingCounter;

  constructor(
    readonly windowMs: number,
    readonly slices: number,
  ) {
    this.sliceMs = windowMs / slices;
    this.counter = new SlidingCounter(slices);
  }

  /** Sum over the window ending at `now`. */
  total(now: number): number {
    this.roll(now);
    return this.counter.total();
  }

  add(now: number, amount: number): void {
    this.roll(now);
    this.counter.add(0, amount);
  }

  /**
   * Time (ms from `now`) until the total drops to `target` or below if nothing else is added; 0 when it already is.
   * The quota's RetryInfo: when enough old requests have left the window.
   */
  waitUntilAtMost(now: number, target: number): number {
    this.roll(now);
    const at = this.counter.firstNewestAtMost(target);
    return at === undefined ? this.windowMs : Math.max(0, at * this.sliceMs - now);
  }

  private roll(now: number): void {
    this.counter.advance(Math.floor(now / this.sliceMs));
  }
}
