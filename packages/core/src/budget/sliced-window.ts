import { requireIntegerIn } from '../internal/validate.js';

/** Most slices a window may be cut into: each check sums them, so keep it small. */
const MAX_SLICES = 1000;

/** Validates a `buckets` option: an integer in [1, 1000]. */
export function requireBuckets(value: unknown): number {
  return requireIntegerIn('buckets', value, 1, MAX_SLICES);
}

/**
 * Two counters (e.g. requests and retries) over a sliding time window, kept in fixed time slices so memory is
 * O(slices) whatever the traffic. A slice is zeroed as a whole once it has left the window.
 *
 * Slice `i` holds the events that happened in [i * width, (i + 1) * width). The ring keeps `slices + 1` of them,
 * so callers can choose between "only slices entirely inside the window" (`recent`) and "every slice that
 * touches the window" (`touching`), and round in the safe direction for what they enforce.
 */
export class SlicedWindow {
  /** Number of slices the window is cut into. */
  readonly slices: number;
  private readonly window: number;
  private readonly size: number;
  private readonly first: number[];
  private readonly second: number[];
  /** Absolute index of the newest slice. */
  private newest: number;
  /** Latest time seen: a wall clock stepping back never moves the window back. */
  private latest: number;

  constructor(window: number, slices: number, now: number) {
    this.window = window;
    this.slices = slices;
    this.size = slices + 1;
    this.first = new Array<number>(this.size).fill(0);
    this.second = new Array<number>(this.size).fill(0);
    this.latest = now;
    this.newest = this.indexOf(now);
  }

  /** Moves the window to `now`, zeroing the slices that left it. */
  roll(now: number): void {
    if (now > this.latest) this.latest = now;
    const index = this.indexOf(this.latest);
    const gap = index - this.newest;
    if (gap <= 0) return;
    const clear = Math.min(gap, this.size);
    for (let i = 1; i <= clear; i++) {
      const slot = this.slot(this.newest + i);
      this.first[slot] = 0;
      this.second[slot] = 0;
    }
    this.newest = index;
  }

  /** Counts one event in the newest slice (call `roll` first). */
  addFirst(): void {
    this.first[this.slot(this.newest)]! += 1;
  }

  addSecond(): void {
    this.second[this.slot(this.newest)]! += 1;
  }

  /** Events in the `slices` newest slices: every one of them happened inside the window ending now. */
  recentFirst(): number {
    return this.sum(this.first, this.slices);
  }

  recentSecond(): number {
    return this.sum(this.second, this.slices);
  }

  /** Events in every slice touching the window ending now (may include up to one slice older than it). */
  touchingSecond(): number {
    return this.sum(this.second, this.size);
  }

  private sum(counts: number[], slices: number): number {
    let total = 0;
    for (let i = 0; i < slices; i++) total += counts[this.slot(this.newest - i)]!;
    return total;
  }

  /** Computed as floor(t * slices / window) so integer times never land in the wrong slice by rounding. */
  private indexOf(time: number): number {
    return Math.floor((time * this.slices) / this.window);
  }

  private slot(index: number): number {
    const slot = index % this.size;
    return slot < 0 ? slot + this.size : slot;
  }
}
