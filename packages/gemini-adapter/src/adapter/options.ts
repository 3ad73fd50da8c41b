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
  type RetryBudgetOptions,
  retryBudget,
} from '@bulwark/core';
import type { RateLimitStore } from '@bulwark/core/store';
import {
  clockOf,
  describe,
  nestedOptions,
  optionalFunction,
  optionsOf,
  orDefault,
  requireInteger,
  requireMethods,
  requireNames,
  requireNonEmptyString,
  requireOneOf,
  requirePositive,
  requireRatio,
  requireBoolean,
  requireRecord,
} from '@bulwark/core/validate';

/**
 * Core's {@link CircuitBreakerOptions} without what the adapter sets itself (`handle`, `handleResult`,
 * `deferResult`, `clock`, `name`): the per-model breaker's options.
 */
export type BreakerOptions = Omit<
  CircuitBreakerOptions,
  'handle' | 'handleResult' | 'deferResult' | 'clock' | 'name'
>;
/**
 * Core's {@link AdaptiveConcurrencyOptions} without what the adapter sets itself (`handle`, `clock`,
 * `name`, `maxPause`): each model's concurrency limit's options.
 */
export type ConcurrencyOptions = Omit<AdaptiveConcurrencyOptions, 'handle' | 'clock' | 'name' | 'maxPause'>;
/** Core's {@link RetryBudgetOptions} without `clock`: the shared retry budget's options. */
export type BudgetOptions = Omit<RetryBudgetOptions, 'clock'>;

/** Client-side limits for one model, per project, as the Gemini API counts them. */
export interface ModelLimits {
  /** Requests per minute. */
  readonly rpm?: number;
  /** Input tokens per minute (a request's cost is its estimated input tokens, corrected by usageMetadata). */
  readonly tpm?: number;
  /** Requests per day (resets at midnight Pacific time, like the API's own quota). */
  readonly rpd?: number;
  /**
   * Input tokens per day (resets at midnight Pacific time; some models' rate-limit tables list a TPD). A call
   * whose estimated tokens do not fit what is left of today fails over like a spent daily quota.
   */
  readonly tpd?: number;
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

/**
 * Another client calls are spread over, beside the wrapped one: a `GoogleGenAI` for another project's API key, or
 * for a Vertex AI project and location. Gemini's quotas belong to the project, not to the key: two targets that
 * name one project share one set of limits, pauses and daily marks (they are never extra capacity).
 */
export interface PoolTarget {
  /** The client (not wrapped with `withResilience`). Its own `models` functions are called, untouched. */
  readonly client: object;
  /**
   * The Google Cloud project whose quota the client spends (a non-empty string without ':'); targets of one
   * project share its limits, pauses, daily marks and breaker.
   */
  readonly project: string;
  /**
   * A name for events and `resilienceOf(ai).targets()`; unique in the pool. Default: the project, or
   * `<project>#<n>` for the n-th (from 2) target of a project.
   */
  readonly name?: string;
}

/** The context-window guard: each model's input token limit checked before a prompt is sent. */
export interface ContextWindowOptions {
  /**
   * Input token limits per model name. A model not listed is looked up once with `models.get` (its
   * `inputTokenLimit`, cached), unless `lookup` is false; a model whose limit is unknown is not checked.
   */
  readonly limits?: Readonly<Record<string, number>>;
  /** Look up unlisted models' `inputTokenLimit` with `models.get`. Default true. */
  readonly lookup?: boolean;
  /**
   * The share of the limit (in [0, 1]) above which the estimate is not trusted and the prompt is counted with
   * `countTokens` before deciding (0: every prompt is counted). Default 0.8.
   */
  readonly countAbove?: number;
  /**
   * Larger-context models to try, in order, when a prompt does not fit a model (LiteLLM's context-window
   * fallbacks): `{ 'gemini-2.0-flash-lite': ['gemini-2.5-flash'] }`. A prompt that fits none fails with a
   * `contextWindowExceeded` GeminiFailure.
   */
  readonly fallbacks?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Options of {@link withResilience}. All are optional; a bad value throws `InvalidOptionError` naming the option when
 * `withResilience` is called, never on the first request.
 */
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
  /**
   * Client-side limits per model name (`{ rpm, tpm, rpd, tpd }`); a burst then queues locally instead of
   * collecting 429s.
   */
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
  /**
   * Where the models' limits and what 429s taught live, to share them with other processes: any
   * `RateLimitStore` (`@bulwark/core/store`), e.g. a Redis store from `@bulwark/redis`. Every client on the same
   * store with the same `project` then shares, per model: the RPM/TPM/RPD limits (configure the same `limits`
   * everywhere: different numbers count apart), the pause a 429's RetryInfo imposes (the first 429 in any process
   * pauses them all), and a spent daily quota or a model without quota ("limit: 0"), until midnight Pacific. All of
   * it goes through one store admission per attempt, under the key `gemini:<project>:<model>`. Requires
   * `project`. Default: none, everything stays in this client.
   */
  readonly store?: RateLimitStore;
  /**
   * Whose quota the shared state is: Gemini counts quotas per Google Cloud project (every API key of a project
   * shares them), so clients of different projects on one store must name different projects. A non-empty string
   * without ':' (e.g. the project id). Required with `store`.
   */
  readonly project?: string;
  /**
   * More clients to spread calls over (a pool): each call goes to the least loaded usable target for its model
   * (by its project's remaining quota, pauses, daily marks and breaker, then calls in flight), and moves on to the
   * next target when one is refused for quota, limits, an open breaker or its credentials; only failures of the
   * model itself (overload, server errors, empty answers) move on to the next fallback model. The wrapped client
   * is the first target, of `project` (required with targets). Default: none.
   */
  readonly targets?: readonly PoolTarget[];
  /**
   * Check each prompt against the model's input token limit before sending (see {@link ContextWindowOptions}); a
   * prompt that cannot fit fails at once with a `contextWindowExceeded` GeminiFailure or goes to a configured
   * larger-context fallback. `{}` turns it on with the defaults. Default `false` (the server's own "input token
   * count exceeds" 400 is classified the same way either way).
   */
  readonly contextWindow?: false | ContextWindowOptions;
  /** Time source for timeouts, waits and quota resets. Default core's `realClock`; tests pass a `VirtualClock`. */
  readonly clock?: Clock;
  /** Random source for the backoff's jitter. Default `Math.random`. */
  readonly random?: RandomSource;
}

/**
 * The options of a wrapped client once validated, with their defaults: `resilienceOf(ai).options`. Each field is the
 * option of the same name in {@link GeminiResilienceOptions} (or its default).
 */
export interface ResolvedOptions {
  /** Attempts per model, including the first (default 3). */
  readonly maxAttempts: number;
  /** The backoff between attempts (default exponential, decorrelated jitter, 200 ms median, 30 s cap). */
  readonly backoff: Backoff;
  /** Longest server-requested wait accepted before failing over (ms, default 60 000). */
  readonly maxRetryDelay: number;
  /** Deadline of one attempt of a unary call (ms, default 60 000). */
  readonly attemptTimeout: number;
  /** Deadline of a whole call (ms, default 300 000). */
  readonly totalTimeout: number;
  /** Longest wait for a stream's first chunk (ms, default 60 000). */
  readonly firstChunkTimeout: number;
  /** Longest silence between two stream chunks (ms, default 30 000). */
  readonly idleTimeout: number;
  /** The per-model breaker's options, or false for none. */
  readonly breaker: false | BreakerOptions;
  /** True when breaker options were given: every model gets one, not only those with a fallback. */
  readonly breakerEverywhere: boolean;
  /** The shared retry budget's options, or false for none. */
  readonly retryBudget: false | BudgetOptions;
  /** The per-model concurrency limit's options, or false for none. */
  readonly concurrency: false | ConcurrencyOptions;
  /** Client-side limits per model name (default none). */
  readonly limits: Readonly<Record<string, ModelLimits>>;
  /** Longest local queueing for a limit (ms, default 60 000). */
  readonly maxQueueWait: number;
  /** Longest wait for a concurrency slot when a fallback could take the call (ms, default 2 000). */
  readonly failoverWait: number;
  /** Models to try, in order, when a model is unavailable (default none). */
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  /**
   * What an empty and a blocked answer lead to (default `{ empty: 'retry', blocked: 'return' }`; both 'return' when the
   * option is false).
   */
  readonly responseCheck: {
    /** What an empty answer leads to. */
    readonly empty: AnswerVerdict;
    /** What a blocked answer leads to. */
    readonly blocked: AnswerVerdict;
  };
  /** The shared store, or undefined (each client keeps its own state). */
  readonly store: RateLimitStore | undefined;
  /** The project shared state is kept under; set whenever `store` or `targets` is. */
  readonly project: string | undefined;
  /** The other targets of the pool, named (default none). */
  readonly targets: readonly ResolvedTarget[];
  /** The context-window guard, or false for none (default). */
  readonly contextWindow: false | ResolvedContextWindow;
  /** The time source (default `realClock`). */
  readonly clock: Clock;
  /** The random source; undefined for `Math.random`. */
  readonly random: RandomSource | undefined;
}

/** A pool target once validated, its name given. */
export interface ResolvedTarget {
  /** The client. */
  readonly client: object;
  /** Its project. */
  readonly project: string;
  /** Its unique name. */
  readonly name: string;
}

/** The context-window guard's options with their defaults. */
export interface ResolvedContextWindow {
  /** Input token limits given per model. */
  readonly limits: Readonly<Record<string, number>>;
  /** Whether unlisted models are looked up with `models.get`. */
  readonly lookup: boolean;
  /** The share of the limit above which the prompt is counted with `countTokens`. */
  readonly countAbove: number;
  /** Larger-context models per model. */
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
}

/**
 * Validation. Every option is checked here, when `withResilience` is called, with core's validator
 * (`@bulwark/core/validate`): a bad one throws InvalidOptionError naming its path (`breaker`,
 * `breaker.halfOpenAfter`, `limits.gemini-2.5-pro.rpm`...). As everywhere in Bulwark, an omitted (undefined)
 * option takes its default; null or a value of the wrong type is refused, never replaced by the default.
 */

/** `false` (turned off), omitted (core's defaults) or an options object for a core factory. */
function policyOptions<T extends object>(path: string, value: unknown): false | T | undefined {
  if (value === false || value === undefined) return value;
  return requireRecord<T>(path, value, 'false or an options object');
}

function limitsOf(value: unknown): Readonly<Record<string, ModelLimits>> {
  if (value === undefined) return {};
  const limits = requireRecord('limits', value, 'an object keyed by model name');
  for (const [model, l] of Object.entries(limits)) {
    const perModel = requireRecord(`limits.${model}`, l, 'an object ({ rpm, tpm, rpd, tpd })');
    for (const key of LIMIT_KEYS) {
      const v = perModel[key];
      if (v !== undefined) requireInteger(`limits.${model}.${key}`, v, 1);
    }
  }
  return limits as Readonly<Record<string, ModelLimits>>;
}

const LIMIT_KEYS = ['rpm', 'tpm', 'rpd', 'tpd'] as const;

function fallbacksOf(value: unknown): Readonly<Record<string, readonly string[]>> {
  if (value === undefined) return {};
  const fallbacks = requireRecord('fallbacks', value, 'an object keyed by model name');
  for (const [model, list] of Object.entries(fallbacks))
    requireNames(`fallbacks.${model}`, list, 'model names');
  return fallbacks as Readonly<Record<string, readonly string[]>>;
}

const VERDICTS: readonly AnswerVerdict[] = ['return', 'retry', 'failover', 'fail'];

function responseCheckOf(check: unknown): ResolvedOptions['responseCheck'] {
  if (check === false) return { empty: 'return', blocked: 'return' };
  const o =
    check === undefined
      ? {}
      : requireRecord<ResponseCheckOptions>('responseCheck', check, 'false or { empty?, blocked? }');
  return {
    empty: requireOneOf('responseCheck.empty', orDefault(o.empty, 'retry'), VERDICTS),
    blocked: requireOneOf('responseCheck.blocked', orDefault(o.blocked, 'return'), VERDICTS),
  };
}

const BACKOFF_METHODS = ['start'] as const;
const STORE_METHODS = ['acquire', 'adjust', 'pause', 'read'] as const;

function requireProject(path: string, project: unknown, needed = ''): string {
  if (typeof project !== 'string' || project === '' || project.includes(':')) {
    throw new InvalidOptionError(
      path,
      `expected a non-empty string without ':'${needed}, got ${describe(project)}`,
    );
  }
  return project;
}

/**
 * The shared store and its project: `project` is required with a store or targets (alone, it is checked and
 * changes nothing).
 */
function sharingOf(
  store: unknown,
  project: unknown,
  targets: unknown,
): Pick<ResolvedOptions, 'store' | 'project'> {
  if (project !== undefined || store !== undefined || targets !== undefined) {
    const with_ = store !== undefined ? 'store' : 'targets';
    requireProject('project', project, project === undefined ? ` (required with ${with_})` : '');
  }
  return {
    store:
      store === undefined
        ? undefined
        : requireMethods<RateLimitStore>('store', store, STORE_METHODS, 'a RateLimitStore'),
    project: project as string | undefined,
  };
}

const CLIENT_METHODS = ['generateContent', 'generateContentStream'] as const;

/** The pool's other targets, named; names unique with the wrapped client's (its project). */
function targetsOf(value: unknown, primary: string | undefined): readonly ResolvedTarget[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new InvalidOptionError(
      'targets',
      `expected an array of { client, project, name? }, got ${describe(value)}`,
    );
  }
  const perProject = new Map<string, number>(primary === undefined ? [] : [[primary, 1]]);
  const names = new Set<string>(primary === undefined ? [] : [primary]);
  return value.map((entry, i) => {
    const path = `targets[${i}]`;
    const t = requireRecord<PoolTarget>(path, entry, 'an object ({ client, project, name? })');
    const client = requireRecord<{ models?: unknown }>(`${path}.client`, t.client, 'a GoogleGenAI instance');
    requireMethods(`${path}.client`, client.models, CLIENT_METHODS, 'a GoogleGenAI instance (with models)');
    if ((client as Record<symbol, unknown>)[Symbol.for('bulwark.gemini.resilience')] !== undefined) {
      throw new InvalidOptionError(`${path}.client`, 'expected a client not wrapped with withResilience');
    }
    const project = requireProject(`${path}.project`, t.project);
    const n = (perProject.get(project) ?? 0) + 1;
    perProject.set(project, n);
    const name =
      t.name === undefined
        ? n === 1
          ? project
          : `${project}#${n}`
        : requireNonEmptyString(`${path}.name`, t.name);
    if (names.has(name))
      throw new InvalidOptionError(`${path}.name`, `expected a unique name, got ${describe(name)}`);
    names.add(name);
    return { client, project, name };
  });
}

function contextWindowOf(value: unknown): false | ResolvedContextWindow {
  if (value === undefined || value === false) return false;
  const o = requireRecord<ContextWindowOptions>('contextWindow', value, 'false or an options object');
  const limits =
    o.limits === undefined
      ? {}
      : requireRecord<Record<string, number>>(
          'contextWindow.limits',
          o.limits,
          'an object keyed by model name',
        );
  for (const [model, limit] of Object.entries(limits))
    requireInteger(`contextWindow.limits.${model}`, limit, 1);
  const fallbacks =
    o.fallbacks === undefined
      ? {}
      : requireRecord<Record<string, readonly string[]>>(
          'contextWindow.fallbacks',
          o.fallbacks,
          'an object keyed by model name',
        );
  for (const [model, list] of Object.entries(fallbacks)) {
    requireNames(`contextWindow.fallbacks.${model}`, list, 'model names');
  }
  const lookup = requireBoolean('contextWindow.lookup', orDefault(o.lookup, true));
  return {
    limits,
    lookup,
    countAbove: requireRatio('contextWindow.countAbove', orDefault(o.countAbove, 0.8)),
    fallbacks,
  };
}

export function resolveOptions(options?: GeminiResilienceOptions): ResolvedOptions {
  const o = optionsOf(options);
  const random = optionalFunction<RandomSource>('random', o.random);
  const backoff =
    o.backoff === undefined
      ? exponential({ initialDelay: 200, maxDelay: 30_000, random })
      : requireMethods<Backoff>('backoff', o.backoff, BACKOFF_METHODS, 'a Backoff such as exponential()');
  const breaker = policyOptions<BreakerOptions>('breaker', o.breaker);
  const retryBudgetOptions = policyOptions<BudgetOptions>('retryBudget', o.retryBudget);
  const concurrency = policyOptions<ConcurrencyOptions>('concurrency', o.concurrency);
  const resolved: ResolvedOptions = {
    maxAttempts: requireInteger('maxAttempts', orDefault(o.maxAttempts, 3), 1),
    backoff,
    maxRetryDelay: requirePositive('maxRetryDelay', orDefault(o.maxRetryDelay, 60_000)),
    attemptTimeout: requirePositive('attemptTimeout', orDefault(o.attemptTimeout, 60_000), true),
    totalTimeout: requirePositive('totalTimeout', orDefault(o.totalTimeout, 300_000), true),
    firstChunkTimeout: requirePositive('firstChunkTimeout', orDefault(o.firstChunkTimeout, 60_000), true),
    idleTimeout: requirePositive('idleTimeout', orDefault(o.idleTimeout, 30_000), true),
    breaker: breaker === false ? false : { strategy: consecutive(5), halfOpenAfter: 30_000, ...breaker },
    breakerEverywhere: breaker !== undefined && breaker !== false,
    retryBudget: retryBudgetOptions === false ? false : { ...retryBudgetOptions },
    concurrency: concurrency === false ? false : { ...concurrency },
    limits: limitsOf(o.limits),
    maxQueueWait: requirePositive('maxQueueWait', orDefault(o.maxQueueWait, 60_000), true),
    failoverWait: requirePositive('failoverWait', orDefault(o.failoverWait, 2_000), true),
    fallbacks: fallbacksOf(o.fallbacks),
    responseCheck: responseCheckOf(o.responseCheck),
    ...sharingOf(o.store, o.project, o.targets),
    targets: targetsOf(o.targets, o.project as string | undefined),
    contextWindow: contextWindowOf(o.contextWindow),
    clock: clockOf(o.clock),
    random,
  };
  // The per-model policies are built on first use; building them once here makes a bad breaker, budget or
  // concurrency option fail in withResilience() (named by its path) rather than in some later call.
  const { breaker: breakerOptions, retryBudget: budget, concurrency: limit } = resolved;
  if (breakerOptions !== false) nestedOptions('breaker', () => circuitBreaker(breakerOptions));
  if (budget !== false) nestedOptions('retryBudget', () => retryBudget(budget));
  if (limit !== false) nestedOptions('concurrency', () => adaptiveConcurrency(limit));
  return resolved;
}
