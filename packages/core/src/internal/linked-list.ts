/** A node that links itself into one LinkedList: removal is O(1) and allocates nothing. */
export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
  /** True while the node is in a list, so removing twice is harmless. */
  linked: boolean;
}

/**
 * A doubly linked list of intrusive nodes (the links live in the nodes, so linking allocates nothing): a FIFO where
 * queued callers can leave from anywhere (abort, timeout) in O(1), which an array cannot do without a scan. Used
 * by the bulkhead's queue, the rate limiter's waiting lists and the deadline queue's buckets.
 */
export class LinkedList<T extends Linked<T>> {
  head: T | undefined;
  tail: T | undefined;
  size = 0;

  push(node: T): void {
    node.prev = this.tail;
    node.next = undefined;
    node.linked = true;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.size++;
  }

  /** Links `node` just before `before`, which must be in this list (for lists kept in some order). */
  insertBefore(node: T, before: T): void {
    const prev = before.prev;
    node.prev = prev;
    node.next = before;
    node.linked = true;
    if (prev) prev.next = node;
    else this.head = node;
    before.prev = node;
    this.size++;
  }

  shift(): T | undefined {
    const node = this.head;
    if (node) this.remove(node);
    return node;
  }

  /** Unlinks `node`; returns false if it was not in the list. */
  remove(node: T): boolean {
    if (!node.linked) return false;
    node.linked = false;
    const { prev, next } = node;
    if (prev) prev.next = next;
    else this.head = next;
    if (next) next.prev = prev;
    else this.tail = prev;
    node.prev = node.next = undefined;
    this.size--;
    return true;
  }
}
