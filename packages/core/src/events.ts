import { EventEmitter } from 'eventemitter3';
import type { WindowStats } from './breaker/strategy.js';
import type { LimitsChangeEvent } from './rate-limit/options.js';

/**
 * Every event a Bulwark policy can emit, with its payload. Each payload names the emitting policy, so one
 * listener attached to a whole pipeline can tell the layers apart.
 */
export interface PolicyEvents {
  /** An execution finished with a value (after any retries). */
  success: [SuccessEvent];
  /** An execution finished with an error (after any retries). */
  failure: [FailureEvent];
  /** Retry is about to wait `delay` ms before attempt `attempt`. */
  retry: [RetryEvent];
  /** Retry stopped retrying and is passing on the last outcome. */
  giveUp: [GiveUpEvent];
  /** A timeout policy's deadline passed. */
  timeout: [TimeoutEvent];
  /** A fallback policy replaced a failure with its fallback value. */
  fallback: [FallbackEvent];
  /** A circuit breaker changed state. */
  stateChange: [StateChangeEvent];
  /** A closed circuit breaker's strategy reached its threshold (failure or slow-call ratio, failures in a row or in a period). */
  thresholdExceeded: [ThresholdExceededEvent];
  /** A policy refused an execution without running it (open circuit, full bulkhead, rate limit, budget...). */
  rejected: [RejectedEvent];
  /** An execution has to wait for admission (bulkhead queue, rate limiter). */
  queued: [QueuedEvent];
  /** A hedging policy started an extra attempt. */
  hedge: [HedgeEvent];
  /** A rate limiter was paused by server feedback (e.g. a 429 with RetryInfo). */
  paused: [PausedEvent];
  /** An adaptive concurrency limit moved, or a bulkhead was resized. */
  limitChange: [LimitChangeEvent];
  /** A rate limiter's limits were changed (`setLimits`). */
  limitsChange: [LimitsChangeEvent];
}

/** The name of any event a policy can emit. */
export type PolicyEventName = keyof PolicyEvents;

interface BaseEvent {
  /** The name of the emitting policy (its `name` option, or its kind). */
  readonly policy: string;
}

/** Payload of `success`: an execution finished with a value. */
export interface SuccessEvent extends BaseEvent {
  /** How long the execution took (ms, on the policy's clock). */
  readonly duration: number;
}

/** Payload of `failure`: an execution finished with an error. */
export interface FailureEvent extends BaseEvent {
  /** How long the execution took (ms, on the policy's clock). */
  readonly duration: number;
  /** What the execution threw. */
  readonly error: unknown;
}

/** Payload of `retry`: retry is about to wait before the next attempt. */
export interface RetryEvent extends BaseEvent {
  /** The attempt about to start (1 = the first retry). */
  readonly attempt: number;
  /** How long retry waits before it (ms). */
  readonly delay: number;
  /** Where the delay came from: the backoff, or a hint carried by the outcome (e.g. Retry-After). */
  readonly delaySource: 'backoff' | 'hint';
  /** How long the failed attempt took (ms, on the policy's clock), from its start to its failure. */
  readonly attemptDuration: number;
  /** The failure being retried: an error, or a result `handleResult` rejected. */
  readonly error?: unknown;
  /** The result being retried, when `handleResult` refused a value (`error` is then absent). */
  readonly result?: unknown;
}

/** Why retry stopped retrying. */
export type GiveUpReason =
  /** maxAttempts were used. */
  | 'attempts'
  /** The outcome's delay hint was longer than maxDelay (e.g. a daily quota). */
  | 'hintTooLong'
  /** The next wait would pass the caller's deadline. */
  | 'deadline'
  /** A shared retry budget had no retry left. */
  | 'budget';

/** Payload of `giveUp`: retry stopped and passes on the last outcome. */
export interface GiveUpEvent extends BaseEvent {
  /** Why it stopped. */
  readonly reason: GiveUpReason;
  /** Attempts made, including the first. */
  readonly attempts: number;
  /** The last attempt's error, when it failed with one. */
  readonly error?: unknown;
  /** The last attempt's result, when `handleResult` refused it. */
  readonly result?: unknown;
}

/** Payload of `timeout`: a timeout policy's deadline passed. */
export interface TimeoutEvent extends BaseEvent {
  /** The timeout that passed (ms). */
  readonly timeoutMs: number;
}

/** Payload of `fallback`: a fallback policy replaced a failure with its fallback value. */
export interface FallbackEvent extends BaseEvent {
  /** The error that was replaced, when the failure was an error. */
  readonly error?: unknown;
  /** The result that was replaced, when `handleResult` refused it. */
  readonly result?: unknown;
  /** How long the execution ran until the failure being replaced (ms). */
  readonly duration: number;
}

/**
 * A circuit breaker's state: 'closed' (calls pass), 'open' (calls are refused until `halfOpenAfter`), 'halfOpen'
 * (probes decide) or 'isolated' (held open by `isolate()`).
 */
export type CircuitState = 'closed' | 'open' | 'halfOpen' | 'isolated';

/** Payload of `stateChange`: a circuit breaker changed state. */
export interface StateChangeEvent extends BaseEvent {
  /** The state it left. */
  readonly from: CircuitState;
  /** The state it entered. */
  readonly to: CircuitState;
  /** The failure that opened the circuit, when one did. */
  readonly error?: unknown;
}

/**
 * Payload of `thresholdExceeded`: a closed circuit breaker's strategy reached its threshold (resilience4j's
 * failure-rate and slow-call-rate exceeded events), just before the circuit opens. A breaker held closed by a
 * `breakerControl` stays closed and emits it once per hold. `threshold` says which rule was reached; the counts are
 * the strategy's window at that moment (ratio = failures / calls, slowCalls / calls).
 */
export interface ThresholdExceededEvent extends BaseEvent, WindowStats {}

/** Why a policy refused an execution without running it. */
export type RejectionReason =
  | 'circuitOpen'
  | 'isolated'
  | 'halfOpenBusy'
  | 'bulkheadFull'
  | 'queueTimeout'
  | 'rateLimited'
  | 'throttled'
  | 'budget';

/** Payload of `rejected`: a policy refused an execution without running it. */
export interface RejectedEvent extends BaseEvent {
  /** Why it refused. */
  readonly reason: RejectionReason;
  /** When trying again may succeed (ms), if known. */
  readonly retryAfterMs?: number | undefined;
  /** The key (model, host, tenant) the decision was about, for keyed policies. */
  readonly key?: string | undefined;
}

/** Payload of `queued`: an execution has to wait for admission. */
export interface QueuedEvent extends BaseEvent {
  /** Expected wait (ms) if known (rate limiter), or undefined (bulkhead queue). */
  readonly delay?: number | undefined;
  /** Position in the queue, when there is one (0 = next). */
  readonly position?: number | undefined;
  /** The key (model, tenant...) it waits for, for keyed limiters. */
  readonly key?: string | undefined;
}

/** Payload of `hedge`: a hedging policy started an extra attempt. */
export interface HedgeEvent extends BaseEvent {
  /** 1 for the first extra attempt. */
  readonly hedge: number;
}

/** Payload of `paused`: a rate limiter was paused by server feedback. */
export interface PausedEvent extends BaseEvent {
  /** How long every caller now waits (ms). */
  readonly duration: number;
  /** The key paused; undefined when every key is. */
  readonly key?: string | undefined;
}

/**
 * A typed eventemitter3 instance carrying the events `E` of one policy (every policy event by default). A policy's
 * hot path asks `listens(event)`, which pays one property read, not a lookup per event, when nobody listens.
 */
export class PolicyEmitter<E extends PolicyEventName = PolicyEventName> extends EventEmitter<
  Pick<PolicyEvents, E>
> {
  /**
   * True while at least one listener is attached to any event. Read from eventemitter3's own count of events
   * with listeners (kept by every way of adding and removing one), so no method needs overriding to track it.
   */
  get active(): boolean {
    return (this as unknown as EmitterInternals)._eventsCount !== 0;
  }

  /** True when `event` has a listener; cheap when nobody listens to anything. */
  listens(event: EventNames<E>): boolean {
    return (this as unknown as EmitterInternals)._eventsCount !== 0 && this.listenerCount(event) !== 0;
  }
}

/** The one field of eventemitter3 (since 1.x; core pins 5.0.4) read here: how many events have at least one listener. */
interface EmitterInternals {
  readonly _eventsCount: number;
}

/** The names a PolicyEmitter of events `E` accepts (eventemitter3's view of them). */
type EventNames<E extends PolicyEventName> = EventEmitter.EventNames<Pick<PolicyEvents, E>>;

/** Removes the listener it was returned for. */
export type Unsubscribe = () => void;

/** Why an adaptive limit moved. */
export type LimitChangeReason = 'increase' | 'decrease';

/** Payload of `limitChange`: an adaptive concurrency limit moved. */
export interface LimitChangeEvent extends BaseEvent {
  /** The limit before (calls, may be fractional below 1). */
  readonly from: number;
  /** The limit after. */
  readonly to: number;
  /** Whether it grew or shrank. */
  readonly reason: LimitChangeReason;
  /** The overload signal behind a decrease. */
  readonly error?: unknown;
}
