/**
 * Amounts over a sliding window kept in fixed slices, so memory is O(slices x channels) whatever the traffic:
 * the retry budget's and the throttle's requests and retries, the breaker time window's calls, failures and slow
 * calls, the fake Gemini server's quotas, the benchmarks' load model.
 *
 * The counter knows slices, not time: slice `i` is whatever its caller maps to it (`Math.floor(t / width)`,
 * `Math.floor(t * slices / window)`...), so each caller keeps its own rounding rule and the safe direction it
 * depends on. The window is the `slices` newest slices; the ring also keeps the one before them, so a caller can
 * read either "only slices entirely inside the window" (`total`) or "every slice touching it" (`touching`, which
 * may include up to one slice older than the window). A slice is zeroed as a whole once it has left the ring.
 * Several channels share one ring and one clock (requests and retries, calls and failures...).
 */
export class SlidingCounter {
  /** Slices in the window. */
  declare readonly slices: number;
  /** Independent amounts counted per slice. */
  declare readonly channels: number;
  /** Slices kept: the window and the one before it. */
  declare private readonly size: number;
  /** Amounts per slice, `channels` per slot: slot s, channel c at `s * channels + c`. */
  declare private readonly counts: Float64Array;
  /** Per channel, the sum over the window (the newest `slices` slices). */
  declare private readonly totals: Float64Array;
  /** Index of the newest slice; -Infinity before the first `advance`. */
  declare private head: number;
  /** Offset in `counts` of the newest slice. */
  private headBase = 0;

  constructor(slices: number, channels = 1, start = Number.NEGATIVE_INFINITY) {
    this.slices = slices;
    this.channels = channels;
    this.size = slices + 1;
    this.counts = new Float64Array(this.size * channels);
    this.totals = new Float64Array(channels);
    this.head = Number.NEGATIVE_INFINITY;
    this.advance(start);
  }

  /** Index of the newest slice (-Infinity before the first `advance`). */
  get newest(): number {
    return this.head;
  }

  /**
   * Moves the window forward so that slice `index` is the newest, zeroing the slices that left the ring. An
   * earlier index (a wall clock stepping back) leaves the window where it is: the counter never moves back.
   */
  advance(index: number): void {
    if (!(index > this.head)) return;
    const { channels, counts, totals } = this;
    if (index - this.head > this.slices) {
      // Every slice left the ring, or none was ever written.
      counts.fill(0);
      totals.fill(0);
    } else {
      for (let i = this.head + 1; i <= index; i++) {
        // Slice i - slices leaves the window (it stays in the ring as the one before), and slice i takes the slot
        // of the one that was before the window.
        const leaving = this.base(i - this.slices);
        const entering = this.base(i);
        for (let c = 0; c < channels; c++) {
          totals[c]! -= counts[leaving + c]!;
          counts[entering + c] = 0;
        }
      }
    }
    this.head = index;
    this.headBase = this.base(index);
  }

  /** Adds `amount` to `channel` in the newest slice (advance first). */
  add(channel: number, amount = 1): void {
    this.counts[this.headBase + channel]! += amount;
    this.totals[channel]! += amount;
  }

  /**
   * Adds `amount` to `channel` in slice `index`, or in the newest when `index` is later (a restored snapshot may
   * come from a clock ahead of ours). False, and nothing added, when that slice has left the window.
   */
  addAt(index: number, channel: number, amount: number): boolean {
    if (index <= this.head - this.slices) return false;
    this.counts[this.base(Math.min(index, this.head)) + channel]! += amount;
    this.totals[channel]! += amount;
    return true;
  }

  /** `channel`'s amount in slice `index`; 0 once it has left the window. */
  at(index: number, channel = 0): number {
    if (index > this.head || index <= this.head - this.slices) return 0;
    return this.counts[this.base(index) + channel]!;
  }

  /** Sum of `channel` over the window: the `slices` newest slices, all of them inside it. */
  total(channel = 0): number {
    return this.totals[channel]!;
  }

  /** Sum of `channel` over every slice touching the window: the window and the slice before it. */
  touching(channel = 0): number {
    if (this.head === Number.NEGATIVE_INFINITY) return 0;
    return this.totals[channel]! + this.counts[this.base(this.head - this.slices) + channel]!;
  }

  /**
   * The first slice that, once it is the newest, leaves `channel`'s window total at `target` or below if nothing
   * more is added: the newest slice itself when the total already is, undefined when it never will be (a
   * negative target). Slice `i` leaves the window when slice `i + slices` becomes the newest.
   */
  firstNewestAtMost(target: number, channel = 0): number | undefined {
    let left = this.totals[channel]!;
    if (left <= target) return this.head;
    for (let i = this.head - this.slices + 1; i <= this.head; i++) {
      left -= this.counts[this.base(i) + channel]!;
      if (left <= target) return i + this.slices;
    }
    return undefined;
  }

  /** Forgets every amount; the window stays where it is. */
  clear(): void {
    this.counts.fill(0);
    this.totals.fill(0);
  }

  private base(index: number): number {
    const slot = index % this.size;
    return (slot < 0 ? slot + this.size : slot) * this.channels;
  }
}
