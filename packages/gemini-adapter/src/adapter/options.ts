import {
  type AdaptiveConcurrencyOptions,
  adaptiveConcurrency,
  type Backoff,
  type CircuitBreakerOptions,
  type Clock,
  consecutive,
  circuitBreaker,
  exponential,
  InvalidOptionError,
  type RandomSource,
  realClock,
  retry,
  type RetryBudgetOptions,
  retryBudget,
} from '@bulwark/core';

export type BreakerOptions = Omit<
  CircuitBreakerOptions,
  'handle' | 'handleResult' | 'deferResult' | 'clock' | 'name'
>;
export type ConcurrencyOptions = Omit<AdaptiveConcurrencyOptions, 'handle' | 'clock' | 'name' | 'maxPause'>;
export type BudgetOptions = Omit<RetryBudgetOptions, 'clock'>;

/** Client-side limits for one model, per project, as the Gemini API counts them. */
export interface ModelLimits {
  /** Requests per minute. */
  readonly rpm?: number;
  /** Input tokens per minute (a request's cost is its estimated input tokens, corrected by usageMetadata). */
  readonly tpm?: number;
  /** Requests per day (resets at midnight Pacific time, like the API's own quota). */
  readonly rpd?: number;
}

/**
 * What to do with a 200 that is not an answer: `'return'` it as the SDK does; `'retry'` it on the same model (with
 * the backoff, within `maxAttempts`) and then fail over; `'failover'` to the next model at once; `'fail'` the call
 * at once. Whatever is not returned ends, when no model is left, in a GeminiFailure of kind `empty` / `blocked`
 * whose `cause` is the response.
 */
export type AnswerVerdict = 'return' | 'retry' | 'failover' | 'fail';

/** How `generateContent` and streams treat answers with nothing in them, and blocked ones. */
export interface ResponseCheckOptions {
  /**
   * An answer without content (no candidates, or no part with text, a function call or media), whatever its
   * finishReason; a stream that ends before any chunk carried content. Default `'retry'`: Gemini sometimes answers
   * STOP with no parts, and asking again usually gets the answer.
   */
  readonly empty?: AnswerVerdict;
  /**
   * A blocked prompt (`promptFeedback.blockReason`) or answer (finishReason SAFETY, RECITATION, PROHIBITED_CONTENT...).
   * Default `'return'`: the same prompt is blocked again, so it comes back as the SDK returns it (`blockedFailureOf`
   * tells). `'failover'` tries the next model (RECITATION may pass there); `'fail'` makes it an error.
   */
  readonly blocked?: AnswerVerdict;
}

export interface GeminiResilienceOptions {
  /** Attempts per model, including the first. Default 3. */
  readonly maxAttempts?: number;
  /** Backoff for overloaded/5xx/network failures. Default: exponential, decorrelated jitter, 200 ms median, 30 s cap. */
  readonly backoff?: Backoff;
  /**
   * One retry budget shared by every call of this client: retries may be at most `ratio` of recent requests (plus
   * a small minimum per second), so an outage does not multiply the load. Default: core's retryBudget defaults
   * (10 %, 1 retry/s, over 10 s). `false` for none.
   */
  readonly retryBudget?: false | BudgetOptions;
  /**
   * Per-model adaptive concurrency limit learnt from the answers (halves on 503/429/5xx/timeouts, climbs back
   * when they stop); calls above it wait locally, earliest deadline first, instead of adding to an overload.
   * Default: core's adaptiveConcurrency defaults (start 20, wait up to 60 s). `false` for none.
   */
  readonly concurrency?: false | ConcurrencyOptions;
  /** Longest server-requested wait (RetryInfo) accepted before failing over instead. Default 60 000. */
  readonly maxRetryDelay?: number;
  /** Deadline of one attempt of a unary call (ms). Default 60 000. */
  readonly attemptTimeout?: number;
  /** Deadline of a whole call, retries and failovers included (ms). Default 300 000. */
  readonly totalTimeout?: number;
  /** Longest wait for a stream's first chunk (ms); the start of a stream is retried. Default 60 000. */
  readonly firstChunkTimeout?: number;
  /** Longest silence between two stream chunks (ms). Default 30 000. */
  readonly idleTimeout?: number;
  /**
   * Per-model circuit breaker: 5 consecutive failures, 30 s break, unless these options say otherwise. By default
   * only models that have somewhere to fail over to get one (a breaker that fails calls fast only helps when
   * another model takes them; without one, the concurrency limit already sheds the load). Options given here
   * apply to every model; `false`: none.
   */
  readonly breaker?: false | BreakerOptions;
  /** Client-side limits per model name; a burst then queues locally instead of collecting 429s. */
  readonly limits?: Readonly<Record<string, ModelLimits>>;
  /** Longest local queueing for a limit (ms) before failing over or failing. Default 60 000. */
  readonly maxQueueWait?: number;
  /**
   * Longest a call waits for a slot of a model's concurrency limit when a fallback model could take it instead
   * (ms). Default 2 000: an overloaded model hands its overflow on quickly. Without a fallback, the concurrency
   * limit's own `maxWait` (60 s) applies.
   */
  readonly failoverWait?: number;
  /** Models to try, in order, when a model is unavailable: `{ 'gemini-2.5-pro': ['gemini-2.5-flash'] }`. */
  readonly fallbacks?: Readonly<Record<string, readonly string[]>>;
  /**
   * Empty and blocked answers as failures: `{ empty: 'retry', blocked: 'return' }` by default (see AnswerVerdict).
   * `false` returns every 200 as the SDK does.
   */
  readonly responseCheck?: false | ResponseCheckOptions;
  readonly clock?: Clock;
  readonly random?: RandomSource;
}

export interface ResolvedOptions {
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  readonly maxRetryDelay: number;
  readonly attemptTimeout: number;
  readonly totalTimeout: number;
  readonly firstChunkTimeout: number;
  readonly idleTimeout: number;
  readonly breaker: false | BreakerOptions;
  /** True when breaker options were given: every model gets one, not only those with a fallback. */
  readonly breakerEverywhere: boolean;
  readonly retryBudget: false | BudgetOptions;
  readonly concurrency: false | ConcurrencyOptions;
  readonly limits: Readonly<Record<string, ModelLimits>>;
  readonly maxQueueWait: number;
  readonly failoverWait: number;
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  readonly responseCheck: { readonly empty: AnswerVerdict; readonly blocked: AnswerVerdict };
  readonly clock: Clock;
  readonly random: RandomSource | undefined;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v <= 0) {
    throw new InvalidOptionError(name, `expected a number > 0, got ${String(v)}`);
  }
  return v;
}

function limitsOf(
  limits: Readonly<Record<string, ModelLimits>> | undefined,
): Readonly<Record<string, ModelLimits>> {
  if (limits === undefined) return {};
  if (typeof limits !== 'object' || limits === null)
    throw new InvalidOptionError('limits', 'expected an object');
  for (const [model, l] of Object.entries(limits)) {
    for (const key of ['rpm', 'tpm', 'rpd'] as const) {
      const v = l?.[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v > 0)) {
        throw new InvalidOptionError(
          `limits.${model}.${key}`,
          `expected a positive integer, got ${String(v)}`,
        );
      }
    }
  }
  return limits;
}

function fallbacksOf(
  fallbacks: Readonly<Record<string, readonly string[]>> | undefined,
): Readonly<Record<string, readonly string[]>> {
  if (fallbacks === undefined) return {};
  if (typeof fallbacks !== 'object' || fallbacks === null)
    throw new InvalidOptionError('fallbacks', 'expected an object');
  for (const [model, list] of Object.entries(fallbacks)) {
    if (!Array.isArray(list) || list.some((m) => typeof m !== 'string' || m === '')) {
      throw new InvalidOptionError(`fallbacks.${model}`, 'expected an array of model names');
    }
  }
  return fallbacks;
}

const VERDICTS: readonly AnswerVerdict[] = ['return', 'retry', 'failover', 'fail'];

function verdict(name: string, value: AnswerVerdict | undefined, fallback: AnswerVerdict): AnswerVerdict {
  const v = value ?? fallback;
  if (!VERDICTS.includes(v)) {
    throw new InvalidOptionError(name, `expected 'return', 'retry', 'failover' or 'fail', got ${String(v)}`);
  }
  return v;
}

function responseCheckOf(check: false | ResponseCheckOptions | undefined): ResolvedOptions['responseCheck'] {
  if (check === false) return { empty: 'return', blocked: 'return' };
  if (check !== undefined && (typeof check !== 'object' || check === null)) {
    throw new InvalidOptionError('responseCheck', 'expected false or { empty?, blocked? }');
  }
  return {
    empty: verdict('responseCheck.empty', check?.empty, 'retry'),
    blocked: verdict('responseCheck.blocked', check?.blocked, 'return'),
  };
}

export function resolveOptions(options: GeminiResilienceOptions = {}): ResolvedOptions {
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new InvalidOptionError('maxAttempts', `expected an integer >= 1, got ${String(maxAttempts)}`);
  }
  const resolved: ResolvedOptions = {
    maxAttempts,
    backoff: options.backoff ?? exponential({ initialDelay: 200, maxDelay: 30_000, random: options.random }),
    maxRetryDelay: positive('maxRetryDelay', options.maxRetryDelay, 60_000),
    attemptTimeout: positive('attemptTimeout', options.attemptTimeout, 60_000),
    totalTimeout: positive('totalTimeout', options.totalTimeout, 300_000),
    firstChunkTimeout: positive('firstChunkTimeout', options.firstChunkTimeout, 60_000),
    idleTimeout: positive('idleTimeout', options.idleTimeout, 30_000),
    breaker:
      options.breaker === false
        ? false
        : { strategy: consecutive(5), halfOpenAfter: 30_000, ...options.breaker },
    breakerEverywhere: options.breaker !== undefined && options.breaker !== false,
    retryBudget: options.retryBudget === false ? false : { ...options.retryBudget },
    concurrency: options.concurrency === false ? false : { ...options.concurrency },
    limits: limitsOf(options.limits),
    maxQueueWait: positive('maxQueueWait', options.maxQueueWait, 60_000),
    failoverWait: positive('failoverWait', options.failoverWait, 2_000),
    fallbacks: fallbacksOf(options.fallbacks),
    responseCheck: responseCheckOf(options.responseCheck),
    clock: options.clock ?? realClock,
    random: options.random,
  };
  // The per-model policies are built on first use; building them once here makes a bad backoff, maxRetryDelay,
  // breaker, budget or concurrency option fail in withResilience() rather than in some later call.
  retry({ maxAttempts, backoff: resolved.backoff, maxDelay: resolved.maxRetryDelay });
  if (resolved.breaker !== false) circuitBreaker(resolved.breaker);
  if (resolved.retryBudget !== false) retryBudget(resolved.retryBudget);
  if (resolved.concurrency !== false) adaptiveConcurrency(resolved.concurrency);
  return resolved;
}
