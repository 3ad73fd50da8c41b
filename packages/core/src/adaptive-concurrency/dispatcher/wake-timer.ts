import type { Clock, TimerHandle, TimerOptions } from '../../clock.js';

/**
 * One timer that calls `onWake` by the earliest time it was asked for: the waiting room's, armed only while
 * somebody waits (it guards pending work, so it keeps the process alive unless the policy's `unref` says not to).
 */
export class WakeTimer {
  private timer: TimerHandle | undefined;
  private due = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: TimerOptions | undefined,
    private readonly onWake: () => void,
  ) {}

  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Makes sure `onWake` runs by `due` (an earlier wake-up already armed is kept: it drains again). */
  at(due: number, now: number): void {
    if (this.timer !== undefined) {
      if (this.due <= due) return;
      this.clock.clearTimer(this.timer);
    }
    this.due = due;
    this.timer = this.clock.setTimer(this.fire, due - now, this.options);
  }

  stop(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.onWake();
  };
}
