import {
  type AcquireRequest,
  type AcquireResult,
  ADMITTED,
  type Admission,
  type AdjustRequest,
  MemoryRateLimitStore,
  type PauseRequest,
  type ReadRequest,
  type ReadResult,
  TIME_EPSILON,
} from '@bulwark/core/store';
import type { GuardSettings, StoreErrorMode } from './options.js';

/**
 * What answers while the guarded store is down, per `onStoreError`, on this process's own in-memory store (core's
 * MemoryRateLimitStore, synchronous, in the callers' time). It keeps every pause the process sees, down or not, so
 * that a 429 learned before an outage still holds during it. It remembers the admissions it made (by their `marks`
 * array, which the caller hands back in `adjust`), so their corrections come back to it, never to the shared store,
 * whose marks they are not.
 */
export class LocalFallback {
  readonly mode: StoreErrorMode;
  private readonly memory: MemoryRateLimitStore;
  private readonly made = new WeakSet<readonly number[]>();

  constructor(settings: GuardSettings) {
    this.mode = settings.mode;
    this.memory = new MemoryRateLimitStore({ maxKeys: settings.localMaxKeys });
  }

  /** Whether this fallback made `admission` (so its adjust belongs here). */
  owns(admission: Admission): boolean {
    return this.made.has(admission.marks);
  }

  /** Admits on the local limits (`local`), or unless paused (`admit`); `refuse` throws `unavailable()`. */
  acquire(request: AcquireRequest, unavailable: () => Error): AcquireResult {
    let result: AcquireResult;
    if (this.mode === 'local') {
      result = this.memory.acquire(request);
    } else if (this.mode === 'admit') {
      const { state } = this.memory.read(request);
      const wait = state === undefined ? 0 : state.pausedUntil - request.now;
      result = wait > TIME_EPSILON ? { admitted: false, retryAfterMs: wait, limit: -1 } : ADMITTED;
    } else {
      throw unavailable();
    }
    if (result.admitted && request.marks !== undefined) this.made.add(request.marks);
    return result;
  }

  /** Corrects one of this fallback's admissions: on the local limits, or nothing when it took nothing (`admit`). */
  adjust(request: AdjustRequest): void {
    if (this.mode === 'local') this.memory.adjust(request);
  }

  /** Every pause goes here, whatever the store's state: the process keeps obeying it through an outage. */
  pause(request: PauseRequest): void {
    this.memory.pause(request);
  }

  /** The local state (`admit`: no usage, only the pauses); `refuse` throws `unavailable()`. */
  read(request: ReadRequest, unavailable: () => Error): ReadResult {
    if (this.mode === 'refuse') throw unavailable();
    return this.memory.read(request);
  }
}
