import type { CircuitState, RetryEvent } from '@bulwark/core';
import { EventEmitter } from 'eventemitter3';
import type { GeminiFailure, GeminiFailureKind } from '../errors/failure.js';
import type { RetargetReason } from './pool.js';

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
  /** True for a streaming call (`generateContentStream`): then only its start is retried. */
  readonly stream: boolean;
}

/** A failed attempt will be retried on the same model after `delay` ms (core's `retry`, plus the failure kind). */
export interface GeminiRetryEvent extends ModelEvent {
  /** The attempt about to start (1 = the first retry). */
  readonly attempt: number;
  /** How long the adapter waits before it (ms). */
  readonly delay: number;
  /** Where the delay came from: the backoff, or the server's hint (RetryInfo, Retry-After). */
  readonly delaySource: RetryEvent['delaySource'];
  /** The `GeminiFailure` kind, or `'other'` (a core `TimeoutError`). */
  readonly kind: GeminiFailureKind | 'other';
  /** The failure being retried (a `GeminiFailure`, or a core `TimeoutError`). */
  readonly error: unknown;
}

/**
 * A call waits locally: for a client-side limit (RPM/TPM), for a slot of the model's adaptive concurrency limit, or
 * because a 429 paused the model for everyone.
 */
export interface GeminiWaitEvent extends ModelEvent {
  /** How long (ms), when known (for a concurrency slot: when only timers hold the call, not calls in flight). */
  readonly delay: number | undefined;
  /**
   * What it waits for: 'limit' (a client-side RPM/TPM/RPD limit), 'concurrency' (a slot of the adaptive concurrency
   * limit) or 'paused' (a 429 paused the model).
   */
  readonly reason: 'limit' | 'concurrency' | 'paused';
}

/** A 429 with RetryInfo paused every caller of the model for `duration` ms (core's `paused`). */
export interface GeminiPausedEvent extends ModelEvent {
  /** How long every caller of the model now waits (ms). */
  readonly duration: number;
}

/** The call moves on from `model` (= `from`) to the next model of its fallback list. */
export interface GeminiFailoverEvent extends ModelEvent {
  /** The model the call leaves (the same as `model`). */
  readonly from: string;
  /** The model the call tries next. */
  readonly to: string;
  /** Why the call left `from`. */
  readonly reason: FailoverReason;
  /** The failure that made it leave. */
  readonly error: unknown;
}

/** A model's circuit breaker changed state (core's `stateChange`). */
export interface GeminiBreakerStateEvent extends ModelEvent {
  /** The state the breaker left. */
  readonly from: CircuitState;
  /** The state it entered. */
  readonly to: CircuitState;
  /** The failure that opened the circuit, when one did. */
  readonly error?: unknown;
}

/** A model's daily quota is spent: it is skipped until `until` (ms since the epoch, midnight Pacific). */
export interface GeminiQuotaExhaustedEvent extends ModelEvent {
  /** When the model is tried again (ms since the epoch: the next midnight, Pacific time). */
  readonly until: number;
  /** The server's quota id (e.g. `GenerateRequestsPerDayPerProjectPerModel-FreeTier`), when it sent one. */
  readonly quotaId: string | undefined;
}

/** A call moves on from one target of the pool to the next for the same model (see `targets`). */
export interface GeminiRetargetEvent extends ModelEvent {
  /** The target the call leaves. */
  readonly from: string;
  /** The target it tries next. */
  readonly to: string;
  /**
   * Why: its credentials were refused ('credentials'), its project's per-minute quota ('rateLimited'), daily
   * quota ('dailyQuota', 'exhaustedEarlier'), local limit ('localLimit') or breaker ('breakerOpen'), or the model
   * is not found in its project ('notFound').
   */
  readonly reason: RetargetReason;
  /** The failure that made it leave. */
  readonly error: unknown;
}

/** A target's credentials were refused (401, 403, a revoked or invalid key): the pool no longer uses it. */
export interface GeminiTargetUnusableEvent extends ModelEvent {
  /** The target's name. */
  readonly target: string;
  /** The target's project. */
  readonly project: string | undefined;
  /** The refusal (a `clientError` GeminiFailure with `credentialsRefused`). */
  readonly error: GeminiFailure;
}

/** A call ended with an answer from `model` (a stream: its first chunk). */
export interface GeminiSuccessEvent extends ModelEvent {
  /** The model the caller asked for. */
  readonly requested: string;
  /** HTTP requests over every model. */
  readonly attempts: number;
  /** Models moved on from before this one answered. */
  readonly failovers: number;
  /** How long the call took (ms), retries, waits and failovers included. */
  readonly duration: number;
}

/** A call failed for good; `model` is the last one tried (the requested one when none was). */
export interface GeminiFailureEvent extends ModelEvent {
  /** The model the caller asked for. */
  readonly requested: string;
  /** What the caller gets. */
  readonly error: unknown;
  /** HTTP requests over every model. */
  readonly attempts: number;
  /** Models moved on from. */
  readonly failovers: number;
  /** How long the call took (ms), retries, waits and failovers included. */
  readonly duration: number;
}

/** Every decision the adapter takes, for logs and metrics. */
export interface GeminiResilienceEvents {
  /** A request is about to be sent. */
  request: [GeminiRequestEvent];
  /** A failed attempt will be retried on the same model. */
  retry: [GeminiRetryEvent];
  /** A call waits locally (a limit, a concurrency slot, a pause). */
  wait: [GeminiWaitEvent];
  /** A 429 paused every caller of a model. */
  paused: [GeminiPausedEvent];
  /** A call moves on to the next model of its fallback list. */
  failover: [GeminiFailoverEvent];
  /** A model's circuit breaker changed state. */
  breakerState: [GeminiBreakerStateEvent];
  /** A model's daily quota is spent. */
  quotaExhausted: [GeminiQuotaExhaustedEvent];
  /** A call moves on to the next target of the pool for the same model. */
  retarget: [GeminiRetargetEvent];
  /** A target's credentials were refused: the pool stops using it. */
  targetUnusable: [GeminiTargetUnusableEvent];
  /** A call ended with an answer. */
  success: [GeminiSuccessEvent];
  /** A call failed for good. */
  failure: [GeminiFailureEvent];
}

/**
 * Why a call left a model for the next one of its fallback list: its breaker is open ('breakerOpen'), its daily quota
 * is spent ('dailyQuota'), its retries are used up ('retriesExhausted'), it does not exist ('notFound'), a client-side
 * limit or concurrency slot would wait too long ('localLimit'), it was found exhausted earlier ('exhaustedEarlier'), or
 * the answer was empty or blocked.
 */
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
  | 'blocked'
  /** The prompt does not fit the model's context window: on to a larger-context fallback (contextWindow.fallbacks). */
  | 'contextWindow';

/**
 * The emitter of `resilienceOf(ai).events` (eventemitter3: `on`, `once`, `off`), typed by {@link
 * GeminiResilienceEvents}.
 */
export class GeminiResilienceEmitter extends EventEmitter<GeminiResilienceEvents> {}

/** Counters since the client was wrapped, as `stats()` returns them (a snapshot, like core's `stats()`). */
export interface GeminiResilienceStats {
  /** Calls made (each `generateContent`, stream, `countTokens`... once, whatever its retries). */
  readonly calls: number;
  /** Calls that ended with an answer. */
  readonly succeeded: number;
  /** Calls that failed for good. */
  readonly failed: number;
  /** HTTP requests handed to the SDK. */
  readonly requests: number;
  /** Retries on the same model. */
  readonly retries: number;
  /** Moves to the next model of a fallback list. */
  readonly failovers: number;
}

export type { GeminiFailure };
