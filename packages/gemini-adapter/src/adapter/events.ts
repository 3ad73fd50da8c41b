import type { CircuitState, RetryEvent } from '@bulwark/core';
import { EventEmitter } from 'eventemitter3';
import type { GeminiFailure, GeminiFailureKind } from '../errors/failure.js';

/**
 * The adapter's payloads follow core's shape (see core's `PolicyEvents`): plain readonly objects; the source is
 * named in `model` where core names its `policy`; durations and delays in ms; the same names as core's for the
 * same things (`attempt`, `delay`, `delaySource`, `error` of a retry; `from`, `to`, `error` of a state change;
 * `duration` of a pause or a call).
 */
interface ModelEvent {
  /** The model the event is about. */
  readonly model: string;
}

/** A request is about to be sent to the API (first attempts and retries alike). */
export interface GeminiRequestEvent extends ModelEvent {
  /** The attempt on this model: 0 for the first, as the execution context's `attempt`. */
  readonly attempt: number;
  readonly stream: boolean;
}

/** A failed attempt will be retried on the same model after `delay` ms (core's `retry`, plus the failure kind). */
export interface GeminiRetryEvent extends ModelEvent {
  /** The attempt about to start (1 = the first retry). */
  readonly attempt: number;
  readonly delay: number;
  /** Where the delay came from: the backoff, or the server's hint (RetryInfo, Retry-After). */
  readonly delaySource: RetryEvent['delaySource'];
  /** The `GeminiFailure` kind, or `'other'` (a core `TimeoutError`). */
  readonly kind: GeminiFailureKind | 'other';
  readonly error: unknown;
}

/**
 * A call waits locally: for a client-side limit (RPM/TPM), for a slot of the model's adaptive concurrency limit, or
 * because a 429 paused the model for everyone.
 */
export interface GeminiWaitEvent extends ModelEvent {
  /** How long (ms), when known (for a concurrency slot: when only timers hold the call, not calls in flight). */
  readonly delay: number | undefined;
  readonly reason: 'limit' | 'concurrency' | 'paused';
}

/** A 429 with RetryInfo paused every caller of the model for `duration` ms (core's `paused`). */
export interface GeminiPausedEvent extends ModelEvent {
  readonly duration: number;
}

/** The call moves on from `model` (= `from`) to the next model of its fallback list. */
export interface GeminiFailoverEvent extends ModelEvent {
  readonly from: string;
  readonly to: string;
  readonly reason: FailoverReason;
  readonly error: unknown;
}

/** A model's circuit breaker changed state (core's `stateChange`). */
export interface GeminiBreakerStateEvent extends ModelEvent {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** The failure that opened the circuit, when one did. */
  readonly error?: unknown;
}

/** A model's daily quota is spent: it is skipped until `until` (ms since the epoch, midnight Pacific). */
export interface GeminiQuotaExhaustedEvent extends ModelEvent {
  readonly until: number;
  readonly quotaId: string | undefined;
}

/** A call ended with an answer from `model` (a stream: its first chunk). */
export interface GeminiSuccessEvent extends ModelEvent {
  /** The model the caller asked for. */
  readonly requested: string;
  /** HTTP requests over every model. */
  readonly attempts: number;
  readonly failovers: number;
  readonly duration: number;
}

/** A call failed for good; `model` is the last one tried (the requested one when none was). */
export interface GeminiFailureEvent extends ModelEvent {
  readonly requested: string;
  /** What the caller gets. */
  readonly error: unknown;
  readonly attempts: number;
  readonly failovers: number;
  readonly duration: number;
}

/** Every decision the adapter takes, for logs and metrics. */
export interface GeminiResilienceEvents {
  request: [GeminiRequestEvent];
  retry: [GeminiRetryEvent];
  wait: [GeminiWaitEvent];
  paused: [GeminiPausedEvent];
  failover: [GeminiFailoverEvent];
  breakerState: [GeminiBreakerStateEvent];
  quotaExhausted: [GeminiQuotaExhaustedEvent];
  success: [GeminiSuccessEvent];
  failure: [GeminiFailureEvent];
}

export type FailoverReason =
  | 'breakerOpen'
  | 'dailyQuota'
  | 'retriesExhausted'
  | 'notFound'
  | 'localLimit'
  | 'exhaustedEarlier'
  /** An empty answer (responseCheck.empty 'retry' or 'failover'). */
  | 'emptyAnswer'
  /** A blocked answer (responseCheck.blocked 'retry' or 'failover'). */
  | 'blocked';

export class GeminiResilienceEmitter extends EventEmitter<GeminiResilienceEvents> {}

/** Counters since the client was wrapped, as `stats()` returns them (a snapshot, like core's `stats()`). */
export interface GeminiResilienceStats {
  readonly calls: number;
  readonly succeeded: number;
  readonly failed: number;
  /** HTTP requests handed to the SDK. */
  readonly requests: number;
  readonly retries: number;
  readonly failovers: number;
}

export type { GeminiFailure };
