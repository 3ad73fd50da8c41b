import {
  type AdaptiveConcurrencyPolicy,
  adaptiveConcurrency,
  type CircuitBreakerPolicy,
  type Clock,
  type Cost,
  circuitBreaker,
  isRateLimitedError,
  type RateLimitPolicy,
  rateLimit,
  sleep,
} from '@bulwark/core';
import { GeminiFailure } from '../errors/failure.js';
import { nextPacificMidnight } from '../internal/pacific-day.js';
import { isBreakerFailure, isRetryable } from './decisions.js';
import { RecentLoad } from './load.js';
import { LIMIT_NAMES, MAX_LIMIT_WAIT, modelLimits, PacificDays } from './model-limits.js';
import type { ResolvedOptions } from './options.js';
import { isStreamStart } from './stream.js';

/**
 * How far from the next midnight Pacific a pause read from a shared store may end and still be a spent daily quota
 * (another process paused the model until the reset): the processes' clocks may disagree by that much.
 */
const RESET_TOLERANCE = 5 * 60_000;

/** The key of a model's limits in a shared store: one per project and model. */
export function sharedKeyOf(project: string, model: string): string {
  return `gemini:${project}:${model}`;
}

/**
 * Everything one model shares between concurrent calls: its circuit breaker, its limits (RPM, TPM, RPD), a pause
 * a 429 imposed on everyone, and whether its daily quota is spent. With a shared store (the `store` option), the
 * limits, pauses and a spent quota are shared by every client on that store with the same `project`: all three
 * live in the store under the model's key, so one admission per attempt also tells what other processes learnt.
 */
export class ModelGuard {
  /** The model's circuit breaker; undefined when it has none (see {@link GeminiResilienceOptions.breaker}). */
  readonly breaker: CircuitBreakerPolicy | undefined;
  /** The adaptive concurrency limit; undefined when turned off. */
  readonly concurrency: AdaptiveConcurrencyPolicy | undefined;
  /** RPM, TPM and RPD (and, in a shared store, the pauses); undefined when nothing is limited. */
  readonly limiter: RateLimitPolicy | undefined;
  /** The model's key in the shared store (`gemini:<project>:<model>`); undefined without one. */
  readonly sharedKey: string | undefined;
  /** The project whose quota this guard keeps (a pool target's, or the `project` option); undefined without one. */
  readonly project: string | undefined;
  /** Requests sent lately and in flight, for a pool's least-loaded choice. */
  readonly load = new RecentLoad();
  /** The RPM limit, for the load's share of it; undefined without one. */
  readonly rpm: number | undefined;
  private readonly rpd: number | undefined;
  private readonly tpd: number | undefined;
  /** Picks the day window of an attempt's cost; undefined without an RPD or TPD limit. */
  private readonly days: PacificDays | undefined;
  private pausedUntil = 0;
  private exhaustedUntilMs = 0;

  constructor(
    /** The model this guard is for. */
    readonly model: string,
    private readonly clock: Clock,
    options: ResolvedOptions,
    /** Whether some fallback list lets this model hand calls on (the default breaker needs that). */
    hasSuccessor: boolean,
    /** The project of a pool target other than the wrapped client's (default: the `project` option). */
    project: string | undefined = options.project,
  ) {
    this.project = project;
    // The wrapped client's project keeps the names it always had; other projects' policies name theirs.
    const label = project === options.project ? model : `${project}/${model}`;
    this.breaker =
      options.breaker === false || !(options.breakerEverywhere || hasSuccessor)
        ? undefined
        : circuitBreaker({
            ...options.breaker,
            handle: isBreakerFailure,
            // A started stream is judged when it ends (GeminiResilience.finishStream).
            deferResult: isStreamStart,
            clock,
            name: `breaker:${label}`,
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
            name: `concurrency:${label}`,
          });
    const limits = options.limits[model] ?? {};
    const store = options.store;
    this.sharedKey = store === undefined ? undefined : sharedKeyOf(project!, model);
    const windows = modelLimits(limits, store !== undefined);
    this.limiter =
      windows.length === 0
        ? undefined
        : rateLimit({
            limits: windows,
            mode: 'wait',
            maxWait: Math.min(options.maxQueueWait, MAX_LIMIT_WAIT),
            clock,
            name: `limit:${label}`,
            ...(store === undefined ? {} : { store, key: this.sharedKey }),
          });
    this.rpd = limits.rpd;
    this.rpm = limits.rpm;
    this.tpd = limits.tpd;
    this.days = limits.rpd === undefined && limits.tpd === undefined ? undefined : new PacificDays();
  }

  /**
   * What one attempt takes from the limits: one call, its estimated input tokens and, with an RPD or TPD limit,
   * one request and its tokens of today (midnight Pacific to midnight Pacific, as the API counts).
   */
  costOf(tokens: number): Cost {
    const days = this.days;
    if (days === undefined) return { calls: 1, tokens };
    const now = this.clock.now();
    const cost: Record<string, number> = { calls: 1, tokens };
    if (this.rpd !== undefined) cost[days.unitAt(now)] = 1;
    if (this.tpd !== undefined) cost[days.tokenUnitAt(now)] = tokens;
    return cost;
  }

  /** Until when the model's daily quota is spent (ms since the epoch), or undefined when it is not. */
  exhaustedUntil(): number | undefined {
    return this.exhaustedUntilMs > this.clock.now() ? this.exhaustedUntilMs : undefined;
  }

  /**
   * The daily quota is spent until `until`. `share`: the server said so, and the shared store learns it too (as a
   * pause of the model until then), so other processes stop asking.
   */
  markExhausted(until: number, share = false): void {
    this.exhaustedUntilMs = Math.max(this.exhaustedUntilMs, until);
    if (share) this.sharePause(until - this.clock.now());
  }

  /**
   * A 429 said "retry in `ms`": every caller of this model waits that long, not only the one that got it; with a
   * shared store, every caller of every process (`share` false: the pause came from the store).
   */
  pause(ms: number, share = true): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    if (share) this.sharePause(ms);
  }

  /**
   * Writes a pause of the model's key to the shared store. Best effort: when the store fails, the pause still
   * holds in this process, and the others learn of the quota from their own 429.
   */
  private sharePause(ms: number): void {
    if (this.sharedKey === undefined || !(ms > 0)) return;
    try {
      this.limiter!.pause(ms, { key: this.sharedKey }).catch(ignore);
    } catch {
      // A store that throws instead of rejecting: the same best effort.
    }
  }

  /**
   * Whether a call here would be refused without a request: the daily quota is spent, or the breaker is open or
   * isolated. A pool tries such a target last.
   */
  blocked(): boolean {
    if (this.exhaustedUntil() !== undefined) return true;
    const state = this.breaker?.state;
    return state === 'open' || state === 'isolated';
  }

  /** The share of the RPM limit used over the last minute (0 without one): a pool's measure of remaining quota. */
  usedShare(): number {
    return this.rpm === undefined ? 0 : this.load.lastMinute(this.clock.now()) / this.rpm;
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
      if (left > maxWait) throw pausedFailure(this.model, left, 'maxRetryDelay');
      onWait(left);
      await sleep(left, signal, this.clock);
    }
  }

  /**
   * What a refusal of the model's limiter means for Gemini, or undefined when it stays a RateLimitedError (RPM or
   * TPM busier than maxQueueWait). A spent RPD window is the daily quota, spent until midnight Pacific. A call
   * that does not fit what is left of today's TPD is refused as a daily quota too, without marking the model
   * exhausted: a smaller prompt may still fit. A pause
   * too long to queue for came from the store, i.e. from another process: one that ends at the next midnight
   * Pacific is a spent daily quota (or a model without quota) learnt there; a shorter one a 429's pause, kept
   * here too so the next calls do not ask the store again. Marks the model exhausted accordingly.
   */
  refusal(error: unknown): GeminiFailure | undefined {
    if (!isRateLimitedError(error)) return undefined;
    const now = this.clock.now();
    const reset = nextPacificMidnight(now);
    if (error.limit === LIMIT_NAMES.rpd) {
      this.markExhausted(reset);
      return dailyQuotaFailure(this.model, reset, now, {
        message: `client-side limit of ${this.rpd} requests per day reached for ${this.model}`,
        quotaValue: this.rpd!,
      });
    }
    if (error.limit === LIMIT_NAMES.tpd) {
      return dailyQuotaFailure(this.model, reset, now, {
        message: `client-side limit of ${this.tpd} input tokens per day reached for ${this.model}`,
        quotaValue: this.tpd!,
      });
    }
    const left = error.retryAfterMs;
    if (error.limit !== 'paused' || left === undefined) return undefined;
    if (Math.abs(now + left - reset) <= RESET_TOLERANCE) {
      this.markExhausted(reset);
      return dailyQuotaFailure(this.model, reset, now);
    }
    this.pause(left, false);
    return pausedFailure(this.model, left, 'maxQueueWait');
  }
}

const ignore = (): void => {};

/** A call not sent because the model is paused for `left` ms, longer than the wait `option` accepts. */
function pausedFailure(model: string, left: number, option: string): GeminiFailure {
  return new GeminiFailure({
    kind: 'rateLimited',
    serverMessage: `${model} is paused for ${left} ms by an earlier 429 (longer than ${option})`,
    retryAfterMs: left,
    model,
  });
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
