import type { Ctx } from '../internal/context.js';

/**
 * Callers parked behind a half-open circuit's probes (the breaker's `halfOpenWait` option): each waits until the
 * probes decide (or a probe slot frees), then starts over in whatever state the circuit is in by then.
 */
export class ParkedCallers {
  private readonly waiting = new Set<() => void>();

  /** Resolves at the next `wakeAll`; rejects with the caller's reason at once if it aborts first. */
  wait(context: Ctx): Promise<void> {
    return new Promise((resolve, reject) => {
      let unsubscribe: (() => void) | undefined;
      const wake = (): void => {
        unsubscribe?.();
        resolve();
      };
      this.waiting.add(wake);
      unsubscribe = context.subscribe((reason) => {
        this.waiting.delete(wake);
        reject(reason);
      });
    });
  }

  /** Wakes every parked caller (a probe was judged, its slot freed, or the circuit left half-open). */
  wakeAll(): void {
    if (this.waiting.size === 0) return;
    const woken = [...this.waiting];
    this.waiting.clear();
    for (const wake of woken) wake();
  }
}
