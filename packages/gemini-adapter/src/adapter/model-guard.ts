import {
  type AdaptiveConcurrencyPolicy,
  adaptiveConcurrency,
  type CircuitBreakerPolicy,
  type Clock,
  circuitBreaker,
  type RateLimit,
  type RateLimitPolicy,
  rateLimit,
  sleep,
  slidingWindow,
} from '@bulwark/core';
import { GeminiFailure } from '../errors/failure.js';
import { nextPacificMidnight } from '../internal/pacific-day.js';
import { isBreakerFailure, isRetryable } from './decisions.js';
import type { ModelLimits, ResolvedOptions } from './options.js';
import { isStreamStart } from './stream.js';

const MINUTE = 60_000;

/**
 * Everything one model shares between concurrent calls: its circuit breaker, its client-side limits, a pause a
 * 429 imposed on everyone, and whether its daily quota is spent.
 */
export class ModelGuard {
  readonly breaker: CircuitBreakerPolicy | undefined;
  /** The adaptive concurrency limit; undefined when turned off. */
  readonly concurrency: AdaptiveConcurrencyPolicy | undefined;
  /** RPM and TPM; undefined when no such limit is configured. */
  readonly limiter: RateLimitPolicy | undefined;
  private readonly rpd: number | undefined;
  private pausedUntil = 0;
  private exhaustedUntilMs = 0;
  private day = 0;
  private sentToday = 0;

  constructor(
    readonly model: string,
    private readonly clock: Clock,
    options: ResolvedOptions,
    /** Whether some fallback list lets this model hand calls on (the default breaker needs that). */
    hasSuccessor: boolean,
  ) {
    this.breaker =
      options.breaker === false || !(options.breakerEverywhere || hasSuccessor)
        ? undefined
        : circuitBreaker({
            ...options.breaker,
            handle: isBreakerFailure,
            // A started stream is judged when it ends (GeminiResilience.finishStream).
            deferResult: isStreamStart,
            clock,
            name: `breaker:${model}`,
          });
    this.concurrency =
      options.concurrency === false
        ? undefined
        : adaptiveConcurrency({
            ...options.concurrency,
            // With somewhere to fail over to, overflow moves on quickly instead of queueing for a minute.
            ...(hasSuccessor
              ? { maxWait: Math.min(options.concurrency.maxWait ?? Infinity, options.failoverWait) }
              : {}),
            // Every retryable failure says "less, please"; 429 pauses are the adapter's own (see pause()).
            handle: isRetryable,
            maxPause: 0,
            clock,
            name: `concurrency:${model}`,
          });
    const limits = options.limits[model] ?? {};
    const windows = minuteLimits(limits);
    this.limiter =
      windows.length === 0
        ? undefined
        : rateLimit({
            limits: windows,
            mode: 'wait',
            maxWait: options.maxQueueWait,
            clock,
            name: `limit:${model}`,
          });
    this.rpd = limits.rpd;
  }

  /** Until when the model's daily quota is spent (ms since the epoch), or undefined when it is not. */
  exhaustedUntil(): number | undefined {
    return this.exhaustedUntilMs > this.clock.now() ? this.exhaustedUntilMs : undefined;
  }

  markExhausted(until: number): void {
    this.exhaustedUntilMs = Math.max(this.exhaustedUntilMs, until);
  }

  /** A 429 said "retry in `ms`": every caller of this model waits that long, not only the one that got it. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  /** How long a new request must still wait because of a pause (0 = none). */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  /**
   * Waits out a pause, however it grows meanwhile; rejects with the signal's reason on abort. A pause longer than
   * `maxWait` is not waited: it throws a `rateLimited` failure carrying the time left, so the call fails over.
   */
  async waitWhilePaused(signal: AbortSignal, maxWait: number, onWait: (ms: number) => void): Promise<void> {
    for (let left = this.pausedFor(); left > 0; left = this.pausedFor()) {
      if (left > maxWait) {
        throw new GeminiFailure({
          kind: 'rateLimited',
          serverMessage: `${this.model} is paused for ${left} ms by an earlier 429 (longer than maxRetryDelay)`,
          retryAfterMs: left,
          model: this.model,
        });
      }
      onWait(left);
      await sleep(left, signal, this.clock);
    }
  }

  /**
   * Counts one request against the requests-per-day limit (reset at midnight Pacific, as the API does). Throws a
   * `dailyQuotaExhausted` failure, and marks the model exhausted, when the day's allowance is used up.
   */
  takeDailyRequest(): void {
    if (this.rpd === undefined) return;
    const now = this.clock.now();
    const reset = nextPacificMidnight(now);
    if (reset !== this.day) {
      this.day = reset;
      this.sentToday = 0;
    }
    if (this.sentToday >= this.rpd) {
      this.markExhausted(reset);
      throw dailyQuotaFailure(this.model, reset, now, {
        message: `client-side limit of ${this.rpd} requests per day reached for ${this.model}`,
        quotaValue: this.rpd,
      });
    }
    this.sentToday++;
  }
}

/**
 * The failure of a call refused because `model`'s daily quota is spent until `until` (midnight Pacific): by the
 * local requests-per-day count, or because an earlier 429 said so.
 */
export function dailyQuotaFailure(
  model: string,
  until: number,
  now: number,
  detail?: { readonly message: string; readonly quotaValue: number },
): GeminiFailure {
  return new GeminiFailure({
    kind: 'dailyQuotaExhausted',
    serverMessage:
      detail?.message ?? `the daily quota of ${model} is spent until ${new Date(until).toISOString()}`,
    retryAfterMs: Math.max(0, until - now),
    quotaValue: detail?.quotaValue,
    model,
  });
}

function minuteLimits(limits: ModelLimits): RateLimit[] {
  const windows: RateLimit[] = [];
  if (limits.rpm !== undefined) {
    windows.push(slidingWindow({ limit: limits.rpm, window: MINUTE, unit: 'calls', name: 'rpm' }));
  }
  if (limits.tpm !== undefined) {
    windows.push(slidingWindow({ limit: limits.tpm, window: MINUTE, unit: 'tokens', name: 'tpm' }));
  }
  return windows;
}
