import { QueuedWaiter } from '../../internal/queued-waiter.js';
import type { RoomNode } from './waiting-room.js';

/** One caller waiting for a slot, in the waiting room. */
export class Waiter extends QueuedWaiter implements RoomNode {
  index = -1;
  older: RoomNode | undefined = undefined;
  newer: RoomNode | undefined = undefined;

  constructor(
    readonly deadline: number,
    readonly seq: number,
    readonly arrived: number,
    resolve: () => void,
    reject: (reason: unknown) => void,
  ) {
    super(resolve, reject);
  }
}
