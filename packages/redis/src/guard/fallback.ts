import {
  type AcquireRequest,
  type AcquireResult,
  ADMITTED,
  type Admission,
  type AdjustRequest,
  MemoryRateLimitStore,
  type PauseRequest,
  type RateLimitScope,
  type ReadRequest,
  type ReadResult,
  type RelimitRequest,
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
  /** Lent to the (synchronous) memory store for a decision later than the request's time. */
  private readonly late = new LateAcquire();

  constructor(settings: GuardSettings) {
    this.mode = settings.mode;
    this.memory = new MemoryRateLimitStore({ maxKeys: settings.localMaxKeys });
  }

  /** Whether this fallback made `admission` (so its adjust belongs here). */
  owns(admission: Admission): boolean {
    return this.made.has(admission.marks);
  }

  /**
   * Admits on the local limits (`local`), or unless paused (`admit`); `refuse` throws `unavailable()`. Decides at
   * `now`, the caller's clock at this moment: later than the request's `now` when the store was given time to
   * answer first; the answer then says so (`at`), as a store with a clock of its own does.
   */
  acquire(request: AcquireRequest, unavailable: () => Error, now = request.now): AcquireResult {
    if (this.mode === 'refuse') throw unavailable();
    const late = now !== request.now;
    const asked = late ? this.late.set(request, now) : request;
    let result: AcquireResult;
    if (this.mode === 'local') {
      result = this.memory.acquire(asked);
    } else {
      const { state } = this.memory.read(asked);
      const wait = state === undefined ? 0 : state.pausedUntil - now;
      result = wait > TIME_EPSILON ? { admitted: false, retryAfterMs: wait, limit: -1 } : ADMITTED;
    }
    if (result.admitted && request.marks !== undefined) this.made.add(request.marks);
    if (!late) return result;
    return result.admitted ? { admitted: true, at: now } : { ...result, at: now };
  }

  /** Corrects one of this fallback's admissions: on the local limits, or nothing when it took nothing (`admit`). */
  adjust(request: AdjustRequest): void {
    if (this.mode === 'local') this.memory.adjust(request);
  }

  /** Every pause goes here, whatever the store's state: the process keeps obeying it through an outage. */
  /** The local limits follow the new numbers, as the store's do. */
  relimit(request: RelimitRequest): void {
    this.memory.relimit(request);
  }

  pause(request: PauseRequest): void {
    this.memory.pause(request);
  }

  /** The local state (`admit`: no usage, only the pauses); `refuse` throws `unavailable()`. */
  read(request: ReadRequest, unavailable: () => Error, now = request.now): ReadResult {
    if (this.mode === 'refuse') throw unavailable();
    return this.memory.read(now === request.now ? request : { scope: request.scope, key: request.key, now });
  }
}

/** An acquire request at a later time than the caller's, its marks still the caller's. */
class LateAcquire implements AcquireRequest {
  scope: RateLimitScope = { id: '', limits: [] };
  key = '';
  costs: readonly number[] = [];
  marks: number[] | undefined = undefined;
  now = 0;

  set(request: AcquireRequest, now: number): this {
    this.scope = request.scope;
    this.key = request.key;
    this.costs = request.costs;
    this.marks = request.marks;
    this.now = now;
    return this;
  }
}
