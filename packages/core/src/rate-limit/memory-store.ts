import { optionsOf, orDefault, requireInteger } from '../internal/validate.js';
import { adjustAll, admit, restAt } from './algorithms.js';
import type { RateLimit } from './limits.js';
import { type RestNode, RestQueue } from './rest-queue.js';
import { type BucketState, cloneState, freshState, type KeyState, NEVER } from './state.js';
import type {
  AcquireRequest,
  AcquireResult,
  AdjustRequest,
  PauseRequest,
  RateLimitScope,
  RateLimitStore,
  ReadRequest,
  ReadResult,
  RelimitRequest,
} from './store.js';

/** Options of {@link memoryStore}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface MemoryStoreOptions {
  /**
   * Most keys kept per scope when keys at rest can make room. A key is busy while its usage still counts or a
   * pause of its own is pending, and at rest afterwards (the same as no key at all). Busy keys are never dropped,
   * since forgetting their usage would let more calls through than the limits allow, so while more keys than
   * this are busy at once the store holds them all. Default 100 000.
   */
  readonly maxKeys?: number;
}

/** Keys at rest dropped per new key even below maxKeys, so the store follows its busy keys down. */
const SPARE_STEPS = 2;

/** One key's state and its place in the rest order. */
class Slot implements RestNode {
  index = -1;

  constructor(
    readonly key: string,
    readonly state: KeyState,
    /** A time before which the state cannot be at rest (see ScopeStates). */
    public due: number,
  ) {}
}

/**
 * Usage of one scope (one set of limits). Every key sits in a RestQueue by `due`, a lower bound of the time it
 * comes to rest: its creation time at first, the rest time found when it was last looked at afterwards. Usage
 * only pushes a key's rest time later (a refund, the one exception, lowers `due` in `adjusted`), so a key whose
 * `due` is still ahead cannot be at rest, and the head of the queue is the only key worth looking at. Looking at
 * it either drops it (at rest) or moves it to its rest time: each key is looked at once per change of its usage,
 * so making room is O(1) amortised in keys examined, however many keys are busy.
 */
class ScopeStates {
  readonly slots = new Map<string, Slot>();
  private readonly order = new RestQueue<Slot>();
  pausedUntil = NEVER;

  constructor(
    private readonly maxKeys: number,
    private limits: readonly RateLimit[],
  ) {}

  /**
   * The limits' numbers changed: a bucket whose refill interval changed keeps its backlog in units (rescaled to
   * the new interval), so a lower rate never admits more of what was already used, nor a higher one less. A
   * window's counts are in units already.
   */
  relimit(limits: readonly RateLimit[], now: number): void {
    const before = this.limits;
    this.limits = limits;
    for (let i = 0; i < limits.length; i++) {
      const old = before[i]!;
      const limit = limits[i]!;
      if (old.kind !== 'bucket' || limit.kind !== 'bucket' || old.interval === limit.interval) continue;
      const ratio = limit.interval / old.interval;
      for (const slot of this.slots.values()) {
        const s = slot.state.limits[i] as BucketState;
        if (s.tat > now) s.tat = now + (s.tat - now) * ratio;
      }
    }
    for (const slot of this.slots.values()) this.adjusted(slot);
  }

  /** The last key used and its state: most calls of a limiter use the same key (often the only one). */
  private lastKey: string | undefined;
  private lastState: KeyState | undefined;

  entry(key: string, now: number): KeyState {
    if (key === this.lastKey) return this.lastState!;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      this.makeRoom(now);
      slot = new Slot(key, freshState(this.limits, now), now);
      this.slots.set(key, slot);
      this.order.push(slot);
    }
    this.lastKey = key;
    this.lastState = slot.state;
    return slot.state;
  }

  /** A refund may bring the key's rest time before its recorded `due`: keep `due` a lower bound. */
  adjusted(slot: Slot): void {
    const rest = restAt(this.limits, slot.state);
    if (rest < slot.due) {
      slot.due = rest;
      this.order.update(slot);
    }
  }

  /**
   * Drops keys at rest: as many as needed to stay below maxKeys (none left means every key is busy, and the store
   * grows), and a couple more in passing, so a store past its busy peak shrinks as new keys come.
   */
  private makeRoom(now: number): void {
    let spare = SPARE_STEPS;
    for (;;) {
      const full = this.slots.size >= this.maxKeys;
      if (!full && spare-- <= 0) return;
      if (!this.step(now)) return;
    }
  }

  /** Looks at the key that may come to rest first: drops it, or moves it to its rest time. False: none is due. */
  private step(now: number): boolean {
    const head = this.order.peek();
    if (head === undefined || head.due > now) return false;
    const rest = restAt(this.limits, head.state);
    if (rest > now) {
      head.due = rest;
      this.order.update(head);
      return true;
    }
    this.order.remove(head);
    this.slots.delete(head.key);
    // The last key's cache needs no clearing: only entry() makes room, and it caches the new key next.
    return true;
  }
}

/**
 * The in-memory store: synchronous, so every operation is atomic by construction. It has no clock of its own: it
 * decides at the callers' `now` (the policy's clock, a virtual one in tests).
 */
export class MemoryRateLimitStore implements RateLimitStore {
  /** Most keys kept per scope: {@link MemoryStoreOptions.maxKeys} (default 100 000). */
  declare readonly maxKeys: number;
  private readonly scopes = new Map<string, ScopeStates>();
  /** The last scope used: most processes have one limiter, so the common lookup is one comparison. */
  private lastScope: RateLimitScope | undefined;
  private lastStates: ScopeStates | undefined;

  constructor(options?: MemoryStoreOptions) {
    this.maxKeys = requireInteger('maxKeys', orDefault(optionsOf(options).maxKeys, 100_000), 1, true);
  }

  acquire(request: AcquireRequest): AcquireResult {
    const states = this.states(request.scope);
    return admit(request, states.entry(request.key, request.now), states.pausedUntil);
  }

  adjust(request: AdjustRequest): void {
    const { scope, key, deltas, admission, now } = request;
    const states = this.states(scope);
    const slot = states.slots.get(key);
    if (slot === undefined) {
      // A forgotten key holds nothing to refund; a charge on it is recorded on fresh state.
      if (deltas.some((d) => d > 0)) adjustAll(scope.limits, states.entry(key, now), deltas, admission, now);
      return;
    }
    adjustAll(scope.limits, slot.state, deltas, admission, now);
    states.adjusted(slot);
  }

  pause(request: PauseRequest): void {
    const states = this.states(request.scope);
    const until = request.now + request.forMs;
    const key = request.key;
    if (key === undefined) {
      states.pausedUntil = Math.max(states.pausedUntil, until);
      return;
    }
    const entry = states.entry(key, request.now);
    entry.pausedUntil = Math.max(entry.pausedUntil, until);
  }

  read(request: ReadRequest): ReadResult {
    const { scope, key, now } = request;
    const states = this.states(scope);
    const slot = states.slots.get(key);
    const state = slot === undefined ? freshState(scope.limits, now) : cloneState(slot.state);
    state.pausedUntil = Math.max(state.pausedUntil, states.pausedUntil);
    return { state, now };
  }

  /** Number of keys currently kept for a scope (for diagnostics and tests). */
  size(scope: RateLimitScope): number {
    return this.scopes.get(scope.id)?.slots.size ?? 0;
  }

  /** Keys currently kept for a scope, in no particular order (for diagnostics and tests). */
  keys(scope: RateLimitScope): string[] {
    return [...(this.scopes.get(scope.id)?.slots.keys() ?? [])];
  }

  relimit(request: RelimitRequest): void {
    // The scope cache stays right: it holds the ScopeStates of its id, which this converts in place.
    this.scopes.get(request.scope.id)?.relimit(request.scope.limits, request.now);
  }

  private states(scope: RateLimitScope): ScopeStates {
    if (scope === this.lastScope) return this.lastStates!;
    let states = this.scopes.get(scope.id);
    if (states === undefined) {
      states = new ScopeStates(this.maxKeys, scope.limits);
      this.scopes.set(scope.id, states);
    }
    this.lastScope = scope;
    this.lastStates = states;
    return states;
  }
}

/**
 * An in-memory store; pass one to several limiters with the same limits to make them share usage.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function memoryStore(options?: MemoryStoreOptions): MemoryRateLimitStore {
  return new MemoryRateLimitStore(options);
}
