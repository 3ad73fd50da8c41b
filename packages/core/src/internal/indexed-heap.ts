/** A node of an IndexedHeap: it remembers where it sits, so leaving from anywhere is O(log n). */
export interface IndexedNode {
  /** Position in the heap's array, -1 once out of it. */
  index: number;
}

/**
 * A binary min-heap whose nodes know their index: push, shift, removal from anywhere and re-ordering of a node
 * whose key changed, each O(log n). `before(a, b)` says whether `a` comes out first. One implementation for the
 * waiting room and held slots (by deadline), the memory store's keys (by rest time) and the virtual clock's timers.
 */
export class IndexedHeap<T extends IndexedNode> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** The nodes in heap order (not sorted): for diagnostics and rare paths. */
  nodes(): readonly T[] {
    return this.items;
  }

  push(node: T): void {
    node.index = this.items.length;
    this.items.push(node);
    this.up(node.index);
  }

  shift(): T | undefined {
    const head = this.items[0];
    if (head !== undefined) this.remove(head);
    return head;
  }

  /** Removes `node` if it is in this heap; harmless otherwise (another heap's node, or one already out). */
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

  /** Puts `node` back in order after its key changed. */
  update(node: T): void {
    const i = node.index;
    if (i < 0 || this.items[i] !== node) return;
    this.down(i);
    this.up(node.index);
  }

  private up(i: number): void {
    const { items, before } = this;
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
    const { items, before } = this;
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
