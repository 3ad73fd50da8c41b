/** Releases one `isolate()`; the circuit closes once every handle is released. Releasing twice is harmless. */
export interface IsolationHandle {
  /**
   * Releases this hold on the circuit; the circuit closes once every handle is released. A second call does nothing.
   */
  dispose(): void;
  /** The same as `dispose()`, for `using handle = breaker.isolate()`. */
  [Symbol.dispose](): void;
}

class Isolation implements IsolationHandle {
  constructor(private readonly owner: Isolations) {}
  dispose(): void {
    this.owner.release(this);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The isolation handles a breaker has given out and not seen released. */
export class Isolations {
  private readonly held = new Set<IsolationHandle>();

  /** @param released called when the last handle held is released (not after `clear`). */
  constructor(private readonly released: () => void) {}

  /** A new handle, held until disposed. */
  take(): IsolationHandle {
    const handle = new Isolation(this);
    this.held.add(handle);
    return handle;
  }

  release(handle: IsolationHandle): void {
    if (this.held.delete(handle) && this.held.size === 0) this.released();
  }

  /** Forgets every handle: releasing one later does nothing. */
  clear(): void {
    this.held.clear();
  }
}
