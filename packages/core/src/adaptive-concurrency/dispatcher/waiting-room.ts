import { DeadlineHeap, type HeapNode } from './deadline-heap.js';

/** A waiting call as the room sees it: in the deadline heap and in the list of arrivals at once. */
export interface RoomNode extends HeapNode {
  /** When it started waiting (clock ms). */
  readonly arrived: number;
  /** Neighbours in arrival order; undefined at the ends or once out of the room. */
  older: RoomNode | undefined;
  newer: RoomNode | undefined;
}

/**
 * The calls waiting for a slot, served in one of two orders:
 * - earliest deadline first (what finishes the most calls in time);
 * - newest first (adaptive LIFO, from Facebook's "Fail at scale"), chosen by the caller while the queue is
 *   backlogged: the oldest calls are then the likeliest to be given up on anyway, and serving the calls arriving
 *   now keeps them fast instead of first working off a backlog of stale calls.
 */
export class WaitingRoom<T extends RoomNode> {
  private readonly heap = new DeadlineHeap<T>();
  private oldest: T | undefined;
  private newest: T | undefined;

  get size(): number {
    return this.heap.size;
  }

  /** When the call that has waited longest arrived (+Infinity when nobody waits). */
  get oldestArrival(): number {
    return this.oldest?.arrived ?? Number.POSITIVE_INFINITY;
  }

  push(node: T): void {
    this.heap.push(node);
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest === undefined) this.oldest = node;
    else this.newest.newer = node;
    this.newest = node;
  }

  /** Removes `node` if it waits here; harmless otherwise. */
  remove(node: T): void {
    if (node.index < 0) return;
    this.heap.remove(node);
    if (node.older === undefined) this.oldest = node.newer as T | undefined;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.newest = node.older as T | undefined;
    else node.newer.older = node.older;
    node.older = node.newer = undefined;
  }

  /** Takes the next call to serve: the newest when `backlogged`, else the one with the earliest deadline. */
  shift(backlogged: boolean): T | undefined {
    const next = backlogged ? this.newest : this.heap.peek();
    if (next !== undefined) this.remove(next);
    return next;
  }
}
