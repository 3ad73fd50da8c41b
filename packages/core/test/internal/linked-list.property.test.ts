/**
 * LinkedList (internal/linked-list.ts), the one doubly linked list of intrusive nodes (bulkhead queue, rate-limit
 * waiting lists, deadline-queue buckets), against an array: same order both ways, size, links and the `linked` flag
 * after any mix of push, shift, remove from anywhere (twice is harmless) and insertBefore.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Linked, LinkedList } from '../../src/internal/linked-list.js';

class Node implements Linked<Node> {
  prev: Node | undefined = undefined;
  next: Node | undefined = undefined;
  linked = false;
  constructor(readonly id: number) {}
}

type Op =
  | { readonly op: 'push' }
  | { readonly op: 'shift' }
  | { readonly op: 'remove'; readonly pick: number }
  | { readonly op: 'insertBefore'; readonly pick: number };

const ops = fc.array(
  fc.oneof(
    fc.constant<Op>({ op: 'push' }),
    fc.constant<Op>({ op: 'shift' }),
    fc.nat(20).map((pick): Op => ({ op: 'remove', pick })),
    fc.nat(20).map((pick): Op => ({ op: 'insertBefore', pick })),
  ),
  { maxLength: 100 },
);

function forward(list: LinkedList<Node>): number[] {
  const ids: number[] = [];
  for (let n = list.head; n !== undefined; n = n.next) ids.push(n.id);
  return ids;
}

function backward(list: LinkedList<Node>): number[] {
  const ids: number[] = [];
  for (let n = list.tail; n !== undefined; n = n.prev) ids.push(n.id);
  return ids.reverse();
}

describe('LinkedList', () => {
  it('behaves like an array under push, shift, remove and insertBefore', () => {
    fc.assert(
      fc.property(ops, (list) => {
        const linked = new LinkedList<Node>();
        const model: Node[] = [];
        const all: Node[] = [];
        let id = 0;
        for (const step of list) {
          if (step.op === 'push') {
            const node = new Node(id++);
            all.push(node);
            linked.push(node);
            model.push(node);
          } else if (step.op === 'shift') {
            expect(linked.shift()).toBe(model.shift());
          } else if (step.op === 'remove') {
            // Any node ever made: removing one no longer in the list is a harmless no-op.
            const node = all[step.pick % Math.max(1, all.length)];
            if (node === undefined) continue;
            const at = model.indexOf(node);
            expect(linked.remove(node)).toBe(at >= 0);
            if (at >= 0) model.splice(at, 1);
          } else {
            const before = model[step.pick % Math.max(1, model.length)];
            if (before === undefined) continue;
            const node = new Node(id++);
            all.push(node);
            linked.insertBefore(node, before);
            model.splice(model.indexOf(before), 0, node);
          }
          const ids = model.map((n) => n.id);
          expect(forward(linked)).toEqual(ids);
          expect(backward(linked)).toEqual(ids);
          expect(linked.size).toBe(model.length);
          for (const node of all) {
            const inside = model.includes(node);
            expect(node.linked).toBe(inside);
            if (!inside) expect([node.prev, node.next]).toEqual([undefined, undefined]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
