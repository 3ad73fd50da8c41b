import { EventEmitter } from 'eventemitter3';
import type { StoreErrorMode } from './options.js';

/** The store operations a guard runs: the four of the RateLimitStore contract, and its optional relimit. */
export type StoreOperation = 'acquire' | 'adjust' | 'pause' | 'read' | 'relimit';

/**
 * The guarded store failed (threw, rejected, or did not answer within `callTimeoutMs`): an outage begins. Emitted
 * once per outage, by the first failure; calls go to the fallback until a probe gets an answer.
 */
export interface StoreUnavailableEvent {
  /** The guard's `name`. */
  readonly store: string;
  /** The operation that failed first. */
  readonly operation: StoreOperation;
  /** What it failed with: the store's error, or a core TimeoutError. */
  readonly error: unknown;
  /** What calls get until the store recovers. */
  readonly mode: StoreErrorMode;
}

/** A probe got an answer: calls go to the store again. Emitted once per outage. */
export interface StoreRecoveredEvent {
  /** The guarded store's name (its `name` option). */
  readonly store: string;
  /** How long the outage lasted (ms, on the guard's clock). */
  readonly downtime: number;
  /** Probes sent, the successful one included. */
  readonly probes: number;
}

/** The events of a {@link GuardedRateLimitStore} (eventemitter3). */
export interface GuardedStoreEvents {
  /** The store stopped answering: calls get the fallback's answer until it recovers. Emitted once per outage. */
  unavailable: [StoreUnavailableEvent];
  /** A probe got an answer: calls go to the store again. */
  recovered: [StoreRecoveredEvent];
}

/** The guard's eventemitter3 instance (the `events` property), typed by its events. */
export class GuardedStoreEmitter extends EventEmitter<GuardedStoreEvents> {}
