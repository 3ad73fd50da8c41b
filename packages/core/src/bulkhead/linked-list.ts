/** A node that links itself into one LinkedList: removal is O(1) and allocates nothing. */
export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
  /** True while the node is in a list, so removing twice is harmless. */
  linked: boolean;
}

/**
 * A FIFO of intrusive nodes. Queued callers can leave from anywhere (abort, timeout) in O(1), which an array
 * cannot do without a scan.
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
