import { IndexedHeap, type IndexedNode } from '../internal/indexed-heap.js';

/** A key's place in a RestQueue. */
export interface RestNode extends IndexedNode {
  /** The earliest time the key may be at rest (its usage expired, no pause): a lower bound, checked when due. */
  due: number;
}

function restsFirst(a: RestNode, b: RestNode): boolean {
  return a.due < b.due;
}

/**
 * Keys ordered by the earliest time they may come to rest. The store looks only at the head (and re-orders a
 * node whose `due` changed with `update`), so keys still busy are never walked past.
 */
export class RestQueue<T extends RestNode> extends IndexedHeap<T> {
  constructor() {
    super(restsFirst);
  }
}
