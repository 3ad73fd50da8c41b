/**
 * Something that wants to learn when a caller's signal aborts. Watchers of one signal are linked in place (no
 * collection per signal), behind a single 'abort' listener shared by every signal: any number of executions
 * sharing a signal (a request's, a server's shutdown signal) cost it one listener in all, so EventTarget's O(n)
 * add and remove never grow and Node never warns about a listener leak. The listener is attached while at least
 * one watcher watches, and the table only ever holds the signals watched right now. (Not a LinkedList: the table
 * holds a signal's first watcher itself; a list object per watched signal would be one more allocation for every
 * execution with a signal of its own, the common case.)
 */
export abstract class SignalWatcher {
  /** @internal Links among the watchers of one signal. */
  prevWatcher: SignalWatcher | undefined = undefined;
  nextWatcher: SignalWatcher | undefined = undefined;

  abstract callerAborted(reason: unknown): void;
}

/**
 * Each watched signal's first watcher. One signal is kept apart from the table (the first watched while none
 * was): the common case (one signal watched at a time, each request's own) then costs no table lookup at all.
 */
const HEADS = new WeakMap<AbortSignal, SignalWatcher>();
let soleSignal: AbortSignal | undefined;
let soleHead: SignalWatcher | undefined;

function headOf(signal: AbortSignal): SignalWatcher | undefined {
  return signal === soleSignal ? soleHead : HEADS.get(signal);
}

/** Sets (or, with undefined, forgets) the first watcher of a signal. */
function setHead(signal: AbortSignal, head: SignalWatcher | undefined): void {
  if (signal === soleSignal) {
    soleHead = head;
    if (head === undefined) soleSignal = undefined;
  } else if (head === undefined) HEADS.delete(signal);
  else if (soleSignal === undefined && !HEADS.has(signal)) {
    soleSignal = signal;
    soleHead = head;
  } else HEADS.set(signal, head);
}

const ONCE = { once: true } as const;

/** The one listener object, on every watched signal: the event says which signal aborted. */
const LISTENER = {
  handleEvent(event: Event): void {
    const signal = event.target as AbortSignal;
    let watcher = headOf(signal);
    setHead(signal, undefined);
    const reason = signal.reason;
    // Unlinked one by one before being told, each on its own like separate listeners: one watcher's failure does
    // not keep the others from hearing.
    while (watcher !== undefined) {
      const next = watcher.nextWatcher;
      watcher.prevWatcher = watcher.nextWatcher = undefined;
      try {
        watcher.callerAborted(reason);
      } catch (error) {
        throwDetached(error);
      }
      watcher = next;
    }
  },
};

/** Calls `watcher.callerAborted(reason)` when `signal` aborts, until `unwatchSignal`. `signal` must not be aborted. */
export function watchSignal(signal: AbortSignal, watcher: SignalWatcher): void {
  const head = headOf(signal);
  if (head === undefined) signal.addEventListener('abort', LISTENER, ONCE);
  else {
    watcher.nextWatcher = head;
    head.prevWatcher = watcher;
  }
  setHead(signal, watcher);
}

export function unwatchSignal(signal: AbortSignal, watcher: SignalWatcher): void {
  const { prevWatcher: prev, nextWatcher: next } = watcher;
  watcher.prevWatcher = watcher.nextWatcher = undefined;
  if (prev !== undefined) {
    prev.nextWatcher = next;
    if (next !== undefined) next.prevWatcher = prev;
    return;
  }
  // The head (or a watcher no longer linked: the signal aborted meanwhile).
  if (headOf(signal) !== watcher) return;
  if (next !== undefined) next.prevWatcher = undefined;
  setHead(signal, next);
  if (next === undefined) signal.removeEventListener('abort', LISTENER);
}

/**
 * An error thrown by a listener where its caller cannot receive it: rethrown as an uncaught exception, as
 * EventTarget does for a throwing listener.
 */
export function throwDetached(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
