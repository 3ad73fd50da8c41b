/** A key's place in a RestQueue. */
export interface RestNode {
  /** The earliest time the key may be at rest (its usage expired, no pause): a lower bound, checked when due. */
  due: number;
  /** Position in the queue's array, -1 once out of it. */
  index: number;
}

/**
 * Keys ordered by the earliest time they may come to rest: a binary min-heap with removal from anywhere and
 * re-ordering of a node whose `due` changed. The store looks only at its head, so keys still busy are never
 * walked past.
 */
export class RestQueue<T extends RestNode> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(node: T): void {
    node.index = this.items.length;
    this.items.push(node);
    this.up(node.index);
  }

  /** Removes `node` if it is in the queue; harmless otherwise. */
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

  /** Puts `node` back in order after its `due` changed. */
  update(node: T): void {
    const i = node.index;
    if (i < 0 || this.items[i] !== node) return;
    this.down(i);
    this.up(node.index);
  }

  private up(i: number): void {
    const items = this.items;
    const node = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent]!;
      if (!(node.due < above.due)) break;
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
      const child = right < n && items[right]!.due < items[left]!.due ? right : left;
      const below = items[child]!;
      if (!(below.due < node.due)) break;
      items[i] = below;
      below.index = i;
      i = child;
    }
    items[i] = node;
    node.index = i;
  }
}
