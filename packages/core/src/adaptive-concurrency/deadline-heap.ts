/** A node of a DeadlineHeap: it remembers where it sits, so leaving (abort, timeout) is O(log n). */
export interface HeapNode {
  /** Absolute deadline (clock ms); +Infinity when the caller gave none. */
  readonly deadline: number;
  /** Arrival order: ties on the deadline are served first come, first served. */
  readonly seq: number;
  /** Position in the heap's array, -1 once out of it. */
  index: number;
}

function before(a: HeapNode, b: HeapNode): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/**
 * Waiters ordered earliest deadline first, then by arrival: a binary min-heap with removal from anywhere.
 * With equal deadline lengths this is FIFO; a retried attempt keeps its caller's (older) deadline and so goes
 * ahead of newer calls, which is what maximises the calls that finish in time (EDF is optimal for that).
 */
export class DeadlineHeap<T extends HeapNode> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The nodes in heap order (not sorted): for diagnostics and rare paths. */
  nodes(): readonly T[] {
    return this.items;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(node: T): void {
    node.index = this.items.length;
    this.items.push(node);
    this.up(node.index);
  }

  /** Removes `node` if it is in the heap; harmless otherwise. */
  remove(node: T): void {
    const i = node.index;
    if (i < 0 || this.items[i] !== node) return;
    node.index = -1;
    const last = this.items.pop()!;
    if (last === node) return;
    this.items[i] = last;
    last.index = i;
    this.down(i);
    this.up(last.index);
  }

  shift(): T | undefined {
    const head = this.items[0];
    if (head !== undefined) this.remove(head);
    return head;
  }

  private up(i: number): void {
    const items = this.items;
    const node = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent]!;
      if (!before(node, above)) break;
      items[i] = above;
      above.index = i;
      i = parent;
    }
    items[i] = node;
    node.index = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const node = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(items[right]!, items[left]!) ? right : left;
      const below = items[child]!;
      if (!before(below, node)) break;
      items[i] = below;
      below.index = i;
      i = child;
    }
    items[i] = node;
    node.index = i;
  }
}
