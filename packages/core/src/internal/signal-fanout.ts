/** Something that wants to learn when a caller's signal aborts. */
export interface AbortWatcher {
  callerAborted(reason: unknown): void;
}

/**
 * The watchers of one caller signal behind a single 'abort' listener, attached while at least one watches: any
 * number of executions sharing a signal (a request's, a server's shutdown signal) cost it one listener in all, so
 * EventTarget's O(n) add/remove never grows and Node never warns about a listener leak.
 */
class SignalFanout {
  private readonly watchers = new Set<AbortWatcher>();

  constructor(private readonly signal: AbortSignal) {}

  add(watcher: AbortWatcher): void {
    if (this.watchers.size === 0) this.signal.addEventListener('abort', this, { once: true });
    this.watchers.add(watcher);
  }

  delete(watcher: AbortWatcher): void {
    if (this.watchers.delete(watcher) && this.watchers.size === 0) {
      this.signal.removeEventListener('abort', this);
      // Dropped at once rather than left to the collector: the table only ever holds the signals watched now.
      if (FANOUTS.get(this.signal) === this) FANOUTS.delete(this.signal);
    }
  }

  /** The signal aborted (it never will again): tells every watcher, each on its own like separate listeners. */
  handleEvent(): void {
    FANOUTS.delete(this.signal);
    const reason = this.signal.reason;
    const watchers = [...this.watchers];
    this.watchers.clear();
    for (const watcher of watchers) {
      try {
        watcher.callerAborted(reason);
      } catch (error) {
        throwDetached(error);
      }
    }
  }
}

const FANOUTS = new WeakMap<AbortSignal, SignalFanout>();

/** Calls `watcher.callerAborted(reason)` when `signal` aborts, until `unwatchSignal`. `signal` must not be aborted. */
export function watchSignal(signal: AbortSignal, watcher: AbortWatcher): void {
  let fanout = FANOUTS.get(signal);
  if (fanout === undefined) {
    fanout = new SignalFanout(signal);
    FANOUTS.set(signal, fanout);
  }
  fanout.add(watcher);
}

export function unwatchSignal(signal: AbortSignal, watcher: AbortWatcher): void {
  FANOUTS.get(signal)?.delete(watcher);
}

/**
 * An error thrown by a listener where its caller cannot receive it: rethrown as an uncaught exception, as
 * EventTarget does for a throwing listener, so one watcher's failure does not keep the others from hearing.
 */
export function throwDetached(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
