import { IndexedHeap, type IndexedNode } from '../../internal/indexed-heap.js';

/** A node of a DeadlineHeap. */
export interface HeapNode extends IndexedNode {
  /** Absolute deadline (clock ms); +Infinity when the caller gave none. */
  readonly deadline: number;
  /** Arrival order: ties on the deadline are served first come, first served. */
  readonly seq: number;
}

function earlierDeadline(a: HeapNode, b: HeapNode): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/**
 * Waiters ordered earliest deadline first, then by arrival. With equal deadline lengths this is FIFO; a retried
 * attempt keeps its caller's (older) deadline and so goes ahead of newer calls, which is what maximises the calls
 * that finish in time (EDF is optimal for that).
 */
export class DeadlineHeap<T extends HeapNode> extends IndexedHeap<T> {
  constructor() {
    super(earlierDeadline);
  }
}
