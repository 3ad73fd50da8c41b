import { SlidingCounter } from '@bulwark/core/testing';

/**
 * A sliding time window of weighted events, exact to the millisecond: how much happened in the last `span` ms, and
 * when room frees up. Core's SlidingCounter with one slice per millisecond (a quota's RetryInfo names the exact
 * moment the window frees, and the fake server's clocks run in whole milliseconds).
 */
export class SlidingWindow {
  private readonly counter: SlidingCounter;

  constructor(private readonly span: number) {
    this.counter = new SlidingCounter(span);
  }

  /** Sum of the weights recorded within the window ending at `now`. */
  used(now: number): number {
    this.counter.advance(Math.floor(now));
    return this.counter.total();
  }

  record(now: number, weight = 1): void {
    this.counter.advance(Math.floor(now));
    this.counter.add(0, weight);
  }

  /** Milliseconds from `now` until at least `room` more fits under `limit` (0 when it already fits). */
  waitFor(now: number, limit: number, room = 1): number {
    this.counter.advance(Math.floor(now));
    const at = this.counter.firstNewestAtMost(limit - room);
    return at === undefined ? this.span : Math.max(0, at - now);
  }
}
