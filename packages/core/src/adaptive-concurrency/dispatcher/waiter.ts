import type { Clock, TimerHandle } from '../../clock.js';
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

  /** Drops what it holds besides its place in the room: its patience timer and its abort listener. */
  detach(clock: Clock): void {
    if (this.timer !== undefined) {
      clock.clearTimer(this.timer);
      this.timer = undefined;
    }
    const unsubscribe = this.unsubscribe;
    if (unsubscribe !== undefined) {
      this.unsubscribe = undefined;
      unsubscribe();
    }
  }
}
