import { EventEmitter } from 'eventemitter3';
import type { GeminiFailure, GeminiFailureKind } from '../errors/failure.js';

/** Every decision the adapter takes, for logs and metrics. */
export interface GeminiResilienceEvents {
  /** A request is about to be sent to the API (first attempts and retries alike). */
  request: [{ model: string; attempt: number; stream: boolean }];
  /** A failed attempt will be retried on the same model after `delay` ms. */
  retry: [
    { model: string; attempt: number; delay: number; kind: GeminiFailureKind | 'other'; error: unknown },
  ];
  /**
   * A call waits locally: for a client-side limit (RPM/TPM), for a slot of the model's adaptive concurrency
   * limit, or because a 429 paused the model for everyone. `delay`: how long, when known (for a concurrency slot:
   * when only timers hold the call, not calls in flight).
   */
  wait: [{ model: string; delay: number | undefined; reason: 'limit' | 'concurrency' | 'paused' }];
  /** A 429 with RetryInfo paused every caller of the model for `duration` ms. */
  paused: [{ model: string; duration: number }];
  /** The call moves on to the next model of its fallback list. */
  failover: [{ from: string; to: string; reason: FailoverReason; error: unknown }];
  /** A model's circuit breaker changed state. */
  breakerState: [{ model: string; from: string; to: string }];
  /** A model's daily quota is spent: it is skipped until `until` (midnight Pacific). */
  quotaExhausted: [{ model: string; until: number; quotaId: string | undefined }];
  /** A call ended with an answer. */
  success: [{ model: string; requested: string; attempts: number; failovers: number; duration: number }];
  /** A call failed for good. */
  failure: [{ requested: string; error: unknown; attempts: number; failovers: number; duration: number }];
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

/** Counters a dashboard (or the demo) can read at any time. */
export interface GeminiResilienceStats {
  calls: number;
  succeeded: number;
  failed: number;
  /** HTTP requests handed to the SDK. */
  requests: number;
  retries: number;
  failovers: number;
}

export type { GeminiFailure };
