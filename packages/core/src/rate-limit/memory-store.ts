import { optionsOf, orDefault, requireInteger } from '../internal/validate.js';
import { ADMITTED, type AcquireResult, type RateLimitScope, type RateLimitStore } from './store.js';
import {
  adjustAll,
  type Blocker,
  cloneState,
  consumeAll,
  fitAll,
  freshState,
  type KeyState,
  NEVER,
  restAt,
  TIME_EPSILON,
  tryAdmit,
} from './state.js';

export interface MemoryStoreOptions {
  /**
   * Most keys kept per scope. Keys whose usage has fully expired are dropped first (that changes nothing); only
   * when more keys than this are busy at once are the oldest busy ones forgotten. Default 100 000.
   */
  readonly maxKeys?: number;
}

/** Usage of one scope (one set of limits). */
class ScopeStates {
  readonly keys = new Map<string, KeyState>();
  pausedUntil = NEVER;
  /** Key count at which the next sweep runs: sweeping only when the map doubled keeps eviction O(1) amortised. */
  sweepAt: number;

  constructor(private readonly maxKeys: number) {
    this.sweepAt = Math.min(maxKeys, 1024);
  }

  /** The last key used and its state: most calls of a limiter use the same key (often the only one). */
  private lastKey: string | undefined;
  private lastState: KeyState | undefined;

  entry(scope: RateLimitScope, key: string, now: number): KeyState {
    if (key === this.lastKey) return this.lastState!;
    let state = this.keys.get(key);
    if (state === undefined) {
      if (this.keys.size >= this.sweepAt) this.sweep(scope, now);
      state = freshState(scope.limits, now);
      this.keys.set(key, state);
    }
    this.lastKey = key;
    this.lastState = state;
    return state;
  }

  private sweep(scope: RateLimitScope, now: number): void {
    this.lastKey = this.lastState = undefined;
    // A key at rest (everything refilled or expired, no pause) is the same as no key at all.
    for (const [key, state] of this.keys) if (restAt(scope.limits, state) <= now) this.keys.delete(key);
    // Still full of busy keys: forget the oldest (map order is insertion order).
    for (const key of this.keys.keys()) {
      if (this.keys.size < this.maxKeys) break;
      this.keys.delete(key);
    }
    this.sweepAt = Math.min(this.maxKeys, Math.max(1024, this.keys.size * 2));
  }
}

/** The in-memory store: synchronous, so every operation is atomic by construction. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly maxKeys: number;
  private readonly scopes = new Map<string, ScopeStates>();
  /** The last scope used: most processes have one limiter, so the common lookup is one comparison. */
  private lastScope: RateLimitScope | undefined;
  private lastStates: ScopeStates | undefined;
  private readonly blocker: Blocker = { limit: -2 };

  constructor(options?: MemoryStoreOptions) {
    this.maxKeys = requireInteger('maxKeys', orDefault(optionsOf(options).maxKeys, 100_000), 1, true);
  }

  acquire(
    scope: RateLimitScope,
    key: string,
    costs: readonly number[],
    now: number,
    marks?: number[],
  ): AcquireResult {
    const states = this.states(scope);
    const entry = states.entry(scope, key, now);
    if (states.pausedUntil <= now + TIME_EPSILON && tryAdmit(scope.limits, entry, costs, now, marks))
      return ADMITTED;
    const blocker = this.blocker;
    let time = fitAll(scope.limits, entry, costs, now, blocker);
    if (states.pausedUntil > time) {
      time = states.pausedUntil;
      blocker.limit = -1;
    }
    if (time > now + TIME_EPSILON) return { admitted: false, retryAfterMs: time - now, limit: blocker.limit };
    // Only float noise separated the two checks: admit.
    consumeAll(scope.limits, entry, costs, now, marks);
    return ADMITTED;
  }

  adjust(
    scope: RateLimitScope,
    key: string,
    deltas: readonly number[],
    marks: readonly number[],
    granted: readonly number[],
    at: number,
    now: number,
  ): void {
    const states = this.states(scope);
    const entry = states.keys.get(key);
    // A forgotten key holds nothing to refund; a charge on it is recorded on fresh state.
    if (entry === undefined && !deltas.some((d) => d > 0)) return;
    const target = entry ?? states.entry(scope, key, now);
    adjustAll(scope.limits, target, deltas, marks, granted, at, now);
  }

  pause(scope: RateLimitScope, key: string | undefined, until: number, now: number): void {
    const states = this.states(scope);
    if (key === undefined) {
      states.pausedUntil = Math.max(states.pausedUntil, until);
      return;
    }
    const entry = states.entry(scope, key, now);
    entry.pausedUntil = Math.max(entry.pausedUntil, until);
  }

  read(scope: RateLimitScope, key: string, now: number): KeyState | undefined {
    const states = this.states(scope);
    const entry = states.keys.get(key);
    const copy = entry === undefined ? freshState(scope.limits, now) : cloneState(entry);
    copy.pausedUntil = Math.max(copy.pausedUntil, states.pausedUntil);
    return copy;
  }

  /** Keys currently kept for a scope (for diagnostics and tests). */
  size(scope: RateLimitScope): number {
    return this.scopes.get(scope.id)?.keys.size ?? 0;
  }

  private states(scope: RateLimitScope): ScopeStates {
    if (scope === this.lastScope) return this.lastStates!;
    let states = this.scopes.get(scope.id);
    if (states === undefined) {
      states = new ScopeStates(this.maxKeys);
      this.scopes.set(scope.id, states);
    }
    this.lastScope = scope;
    this.lastStates = states;
    return states;
  }
}

/** An in-memory store; pass one to several limiters with the same limits to make them share usage. */
export function memoryStore(options?: MemoryStoreOptions): MemoryRateLimitStore {
  return new MemoryRateLimitStore(options);
}
