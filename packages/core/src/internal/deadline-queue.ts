import type { Clock, TimerHandle } from '../clock.js';

const UNREF = { unref: true } as const;

/** One pending deadline. Linked in place so removal is O(1) and costs no allocation. */
export interface DeadlineEntry {
  /** When the entry expires (clock ms). */
  due: number;
  prev: DeadlineEntry | undefined;
  next: DeadlineEntry | undefined;
  queued: boolean;
  expire(): void;
}

/**
 * Deadlines of one timeout policy share a single timer. Every entry has the same duration, so appending keeps the
 * list in due order; the timer is armed for the head only and re-armed lazily when it fires, so the success path
 * costs a link and an unlink, never a setTimeout/clearTimeout pair.
 */
export class DeadlineQueue {
  private head: DeadlineEntry | undefined;
  private tail: DeadlineEntry | undefined;
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: Clock) {}

  add(entry: DeadlineEntry): void {
    // Keep due order even if the wall clock stepped back: never schedule before the current tail.
    const tail = this.tail;
    if (tail !== undefined && entry.due < tail.due) entry.due = tail.due;
    entry.prev = tail;
    entry.next = undefined;
    entry.queued = true;
    if (tail) tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (this.timer === undefined) this.arm(entry.due);
  }

  remove(entry: DeadlineEntry): void {
    if (!entry.queued) return;
    entry.queued = false;
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else this.head = next;
    if (next) next.prev = prev;
    else this.tail = prev;
    entry.prev = entry.next = undefined;
  }

  /** Entries still waiting for their deadline (for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (let e = this.head; e; e = e.next) n++;
    return n;
  }

  private arm(due: number): void {
    this.timer = this.clock.setTimer(this.onTimer, Math.max(0, due - this.clock.now()), UNREF);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    let entry = this.head;
    while (entry !== undefined && entry.due <= now) {
      this.remove(entry);
      entry.expire();
      entry = this.head;
    }
    if (entry !== undefined && this.timer === undefined) this.arm(entry.due);
  };
}
