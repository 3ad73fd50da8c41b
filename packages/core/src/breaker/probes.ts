import type { Ctx } from '../internal/context.js';

/**
 * The contexts running probes passed down, while their function runs: work a layer inside leaves running below
 * one of them (see the breaker's HOLD) is that probe's too.
 */
export class ProbeContexts {
  private readonly running = new Set<Ctx>();

  add(context: Ctx): void {
    this.running.add(context);
  }

  delete(context: Ctx): void {
    this.running.delete(context);
  }

  /** Whether `context` is a running probe's, or lies below one. */
  covers(context: Ctx): boolean {
    if (this.running.size === 0) return false;
    for (let c: Ctx | undefined = context; c !== undefined; c = c.parent) {
      if (this.running.has(c)) return true;
    }
    return false;
  }
}

/**
 * What a probe owes its caller when the caller can abort: whichever comes first of the caller's abort (the caller
 * leaves at once with its reason, while the probe keeps its slot until its function settles) and the probe's own
 * outcome. A probe holds a scarce slot, so its caller must not wait on a function that ignores its signal.
 */
export class ProbeAnswer {
  private given = false;
  private unsubscribe: (() => void) | undefined = undefined;

  /** True if the caller still waits for its answer, which from now on is the probe's own outcome. */
  claim(): boolean {
    if (this.given) return false;
    this.given = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    return true;
  }

  /**
   * The caller's promise: `outcome`, unless the caller aborts first; then the caller gets the abort's reason at
   * once, and `left(reason)` runs.
   */
  race(outcome: Promise<unknown>, context: Ctx, left: (reason: unknown) => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      outcome.then(resolve, reject);
      // Called before observe can claim; claim() removes this listener, so it runs only while unclaimed.
      this.unsubscribe = context.subscribe((reason) => {
        this.given = true;
        this.unsubscribe = undefined;
        reject(reason);
        left(reason);
      });
    });
  }
}
