import type { TimerHandle } from '../../clock.js';
import type { RoomNode } from './waiting-room.js';

/** One caller waiting for a slot. */
export class Waiter implements RoomNode {
  index = -1;
  older: RoomNode | undefined = undefined;
  newer: RoomNode | undefined = undefined;
  timer: TimerHandle | undefined = undefined;
  unsubscribe: (() => void) | undefined = undefined;

  constructor(
    readonly deadline: number,
    readonly seq: number,
    readonly arrived: number,
    readonly resolve: () => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}
