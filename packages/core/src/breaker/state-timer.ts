import type { Clock, TimerHandle, TimerOptions } from '../clock.js';

const UNREF: TimerOptions = /* @__PURE__ */ Object.freeze({ unref: true });

/**
 * The breaker's one timer with `autoHalfOpen`: fires at the current state's end (an open circuit's break, a half-open
 * circuit's probe deadline) so the transition happens then rather than at the next call. Unref'd: it never keeps a
 * process alive, since no caller waits for it.
 */
export class StateTimer {
  private handle: TimerHandle | undefined = undefined;
  private at = Number.NaN;

  constructor(
    private readonly clock: Clock,
    private readonly due: () => void,
  ) {}

  /** Fires at `at` (clock ms) instead of any earlier arming; arming the same time again changes nothing. */
  arm(at: number): void {
    if (at === this.at) return;
    this.clear();
    this.at = at;
    this.handle = this.clock.setTimer(this.fire, at - this.clock.now(), UNREF);
  }

  clear(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimer(this.handle);
    this.handle = undefined;
    this.at = Number.NaN;
  }

  private readonly fire = (): void => {
    this.handle = undefined;
    this.at = Number.NaN;
    this.due();
  };
}
