import type { Clock } from '../../clock.js';
import { DeadlineHeap, type HeapNode } from './deadline-heap.js';

/** A refused call's slot, held until `deadline` (the heap's key: the earliest release comes first). */
type Hold = HeapNode;

/** A held slot's own timer frees it on time even when nobody waits; it guards nothing, so it is unref'd. */
const UNREF = { unref: true } as const;

/**
 * The slots refused calls keep for a while after their refusal, by release time. They stay counted as taken by
 * the dispatcher until released: lazily, by whoever counts the slots first (`releaseDue`), or by their own timer,
 * which calls `onDue` so that waiters get the slot on time.
 */
export class HeldSlots {
  private readonly holds = new DeadlineHeap<Hold>();
  /** Arrival order of the holds: ties on the release time go first come, first served. */
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: () => void,
  ) {}

  /** Slots held now (including those whose time has come but nobody released yet). */
  get size(): number {
    return this.holds.size;
  }

  /** When the next held slot comes back (clock ms), undefined when none is held. */
  get nextRelease(): number | undefined {
    return this.holds.peek()?.deadline;
  }

  /** Holds a slot for `ms` (> 0) from `now`. */
  hold(now: number, ms: number): void {
    this.holds.push({ deadline: now + ms, seq: this.seq++, index: -1 });
    this.clock.setTimer(this.onDue, ms, UNREF);
  }

  /** Gives back the held slots whose time has come by `now`; returns how many. */
  releaseDue(now: number): number {
    let released = 0;
    for (let hold = this.holds.peek(); hold !== undefined && hold.deadline <= now; hold = this.holds.peek()) {
      this.holds.shift();
      released++;
    }
    return released;
  }

  /**
   * Hands the earliest held slot over to a new call: the slot stays taken, now by that call, and the hold's timer
   * finds nothing to release.
   */
  takeOver(): void {
    this.holds.shift();
  }

  /** When the `k`-th held slot (1-based, in release order) comes back: for rare paths (it sorts). */
  releaseTime(k: number): number {
    const releases = this.holds
      .nodes()
      .map((hold) => hold.deadline)
      .sort((a, b) => a - b);
    return releases[k - 1]!;
  }
}
