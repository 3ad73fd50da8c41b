import {
  BulwarkError,
  type Clock,
  type ExecutionContext,
  InvalidOptionError,
  type Policy,
} from '@bulwark/core';
import {
  clockOf,
  describe,
  optionalBoolean,
  optionalFunction,
  orDefault,
  requireIntegerIn,
  requireMethods,
  requireOptions,
} from '@bulwark/core/validate';
import { type Classifier, classify as defaultClassify, type StatusDecision } from './classify.js';
import { discardBody, drainBody } from './drain.js';
import { HttpStatusError, MAX_BODY_EXCERPT } from './error.js';
import { delayHintMs } from './hints.js';
import { IDEMPOTENT_METHODS } from './methods.js';
import { isNotSentError } from './network.js';
import { markNotRetryable } from './predicates.js';
import { describeRequest, type RequestFacts } from './request-facts.js';

/** The standard fetch signature. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Anything that can be paused by server feedback, e.g. core's rate limiter. A returned promise is not awaited; if
 * it rejects (a failing shared store), the rejection is ignored: the answer is already in hand.
 */
export interface Pausable {
  /** Pauses for `ms` milliseconds (core's `RateLimitPolicy.pause`). */
  pause(ms: number): unknown;
}

/**
 * Options of {@link resilientFetch}; a bad value throws `InvalidOptionError` naming the option when `resilientFetch` is
 * called, never on the first request.
 */
export interface ResilientFetchOptions {
  /** The fetch to call. Default: the global fetch. */
  readonly fetch?: FetchLike;
  /** Turns statuses into decisions. Default `classify`; use `createClassifier` for overrides. */
  readonly classify?: Classifier;
  /** Retry non-idempotent requests (POST, PATCH...) even without proof they were not processed. Default false. */
  readonly retryUnsafe?: boolean;
  /** The request header whose presence makes a non-idempotent request safe to repeat. Default 'Idempotency-Key'. */
  readonly idempotencyKeyHeader?: string;
  /**
   * Called with the server's delay hint (ms) whenever it answers "throttled" (429) with one. A returned promise
   * is not awaited and its rejection is ignored; a synchronous throw fails the call.
   */
  readonly onThrottle?: (hintMs: number, response: Response) => void;
  /** Paused for the hint of every throttled answer, so every caller of the limiter waits, not just this one. */
  readonly pauseLimiter?: Pausable;
  /** Characters of a failed response's body kept on the HttpStatusError. Default 1024, at most 4096; 0 keeps none. */
  readonly bodyExcerptChars?: number;
  /** A failed response's body is read (so the connection is reused) up to this many bytes, then cancelled. Default 65 536. */
  readonly maxDrainBytes?: number;
  /** Reference time for date hints when a response has no Date header. Default: the real clock. */
  readonly clock?: Clock;
}

interface Config {
  readonly fetch: FetchLike;
  readonly classify: Classifier;
  readonly retryUnsafe: boolean;
  readonly idempotencyKeyHeader: string;
  readonly onThrottle: ((hintMs: number, response: Response) => void) | undefined;
  readonly pauseLimiter: Pausable | undefined;
  readonly bodyExcerptChars: number;
  readonly maxDrainBytes: number;
  readonly clock: Clock;
}

/** A header name (an RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function configure(options: ResilientFetchOptions): Config {
  requireOptions(options);
  const fetch = optionalFunction<FetchLike>('fetch', options.fetch) ?? globalThis.fetch;
  if (typeof fetch !== 'function') {
    throw new InvalidOptionError(
      'fetch',
      `expected a function (there is no global fetch), got ${describe(fetch)}`,
    );
  }
  const pauseLimiter =
    options.pauseLimiter === undefined
      ? undefined
      : requireMethods<Pausable>('pauseLimiter', options.pauseLimiter, PAUSE_METHODS, 'a rate limiter');
  const header = orDefault<unknown>(options.idempotencyKeyHeader, 'Idempotency-Key');
  if (typeof header !== 'string' || !TOKEN.test(header)) {
    throw new InvalidOptionError('idempotencyKeyHeader', `expected a header name, got ${describe(header)}`);
  }
  return {
    fetch,
    classify: optionalFunction<Classifier>('classify', options.classify) ?? defaultClassify,
    retryUnsafe: optionalBoolean('retryUnsafe', options.retryUnsafe) === true,
    idempotencyKeyHeader: header,
    onThrottle: optionalFunction('onThrottle', options.onThrottle),
    pauseLimiter,
    bodyExcerptChars: requireIntegerIn(
      'bodyExcerptChars',
      orDefault(options.bodyExcerptChars, 1024),
      0,
      MAX_BODY_EXCERPT,
    ),
    maxDrainBytes: requireIntegerIn(
      'maxDrainBytes',
      orDefault(options.maxDrainBytes, 65_536),
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    // resilientFetch reads only `now`, but takes a whole Clock, checked like core's policies check theirs.
    clock: clockOf(options.clock),
  };
}

const PAUSE_METHODS = ['pause'] as const;
const POLICY_METHODS = ['execute'] as const;

/**
 * One call of the resilient fetch, across all its attempts. It guarantees a request is never sent twice unless
 * repeating it is safe, whatever the policy does: a retry with a catch-all `handle`, or a hedge, gets the
 * previous error back instead of a second send.
 */
class FetchCall {
  private sends = 0;
  private inFlight = 0;
  /** The last outcome proved the server did not process the request (or repeating is safe anyway). */
  private lastResendable = false;
  private blocked: { readonly error: unknown } | undefined;
  /** Failure answers handed to the policy undrained, to be returned to the caller untouched. */
  private held: Map<unknown, Response> | undefined;
  private readonly safe: boolean;

  constructor(
    private readonly config: Config,
    private readonly input: string | URL | Request,
    private readonly init: RequestInit | undefined,
    private readonly facts: RequestFacts,
  ) {
    const idempotent = config.classify.idempotentMethods ?? IDEMPOTENT_METHODS;
    this.safe =
      facts.replayableBody &&
      (config.retryUnsafe || facts.idempotencyKey || idempotent.includes(facts.method));
  }

  readonly attempt = async (context: ExecutionContext): Promise<Response> => {
    if (this.blocked !== undefined) throw this.blocked.error;
    if (this.sends > 0 && !this.mayResend()) {
      throw markNotRetryable(
        new BulwarkError(
          `resilientFetch: not sending ${this.facts.method} ${this.facts.url} again: ` +
            (this.facts.replayableBody
              ? 'it is not idempotent and may have been processed'
              : 'its body is a one-shot stream'),
        ),
      );
    }
    const signal = context.signal;
    if (signal.aborted) throw signal.reason;
    this.sends++;
    this.inFlight++;
    let response: Response;
    try {
      response = await this.send(signal);
    } catch (error) {
      this.lastResendable = this.facts.replayableBody && (this.safe || isNotSentError(error));
      if (!this.lastResendable) this.block(error);
      throw error;
    } finally {
      this.inFlight--;
    }
    return this.judge(response, context);
  };

  /**
   * Calls fetch, rejecting with the signal's reason the moment it aborts, even if the fetch in use ignores
   * signals (a late answer is then discarded). An abort (attempt timeout, lost hedge) of an unsafe request
   * leaves it maybe-processed: until `attempt` sees the rejection and blocks resends, the send still counts as
   * in flight, which refuses them too.
   */
  private send(signal: AbortSignal): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal.removeEventListener('abort', onAbort);
      let pending: Promise<Response>;
      // Called without a receiver: browsers' and workerd's fetch throw "Illegal invocation" when called as a method of
      // another object (this.config.fetch(...)), Node's does not.
      const fetch = this.config.fetch;
      try {
        pending = Promise.resolve(fetch(this.input, { ...this.init, signal }));
      } catch (error) {
        done();
        reject(error);
        return;
      }
      pending.then(
        (response) => {
          done();
          if (signal.aborted) discardBody(response);
          else resolve(response);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  private mayResend(): boolean {
    return this.facts.replayableBody && (this.safe || (this.inFlight === 0 && this.lastResendable));
  }

  private block(error: unknown): void {
    this.blocked = { error: markNotRetryable(error) };
  }

  private async judge(response: Response, context: ExecutionContext): Promise<Response> {
    const facts = this.facts;
    const verdict = this.config.classify(response.status, {
      method: facts.method,
      idempotencyKey: facts.idempotencyKey,
      headers: response.headers,
      retryUnsafe: this.config.retryUnsafe,
    });
    const decision: StatusDecision =
      verdict.retry && !facts.replayableBody ? Object.freeze({ ...verdict, retry: false }) : verdict;
    this.lastResendable = decision.retry;
    if (decision.kind === 'throttled') this.reportThrottle(response);
    if (decision.retry) {
      let body: string | undefined;
      try {
        body = await drainBody(
          response,
          this.config.bodyExcerptChars,
          this.config.maxDrainBytes,
          context.signal,
        );
      } catch {
        if (context.signal.aborted) throw context.signal.reason;
        // Otherwise the answer is known all the same; a body cut short only costs the excerpt.
      }
      throw this.error(response, decision, this.config.bodyExcerptChars > 0 ? body : undefined);
    }
    if (decision.breakerFailure) {
      // Thrown so breakers count it; returned untouched to the caller once the policy settles.
      const error = this.error(response, decision, undefined);
      (this.held ??= new Map()).set(error, response);
      this.block(error);
      throw error;
    }
    return response;
  }

  private reportThrottle(response: Response): void {
    const { onThrottle, pauseLimiter, clock } = this.config;
    if (onThrottle === undefined && pauseLimiter === undefined) return;
    const hint = delayHintMs(response.headers, { now: clock.now() });
    if (hint === undefined) return;
    try {
      observe(pauseLimiter?.pause(hint));
      observe(onThrottle?.(hint, response));
    } catch (error) {
      discardBody(response);
      throw error;
    }
  }

  private error(response: Response, decision: StatusDecision, body: string | undefined): HttpStatusError {
    return new HttpStatusError({
      status: response.status,
      statusText: response.statusText,
      method: this.facts.method,
      url: this.facts.url,
      headers: response.headers,
      body,
      decision,
      now: this.config.clock.now(),
    });
  }

  /** The policy returned: release any held answer that is not the result. */
  readonly succeed = (value: Response): Response => {
    this.release(value);
    return value;
  };

  /** The policy failed: a held answer is the server's final word, returned untouched. */
  readonly fail = (error: unknown): Response => {
    const response = this.held?.get(error);
    this.release(response);
    if (response === undefined) throw error;
    return response;
  };

  private release(keep: unknown): void {
    if (this.held === undefined) return;
    for (const response of this.held.values()) if (response !== keep) discardBody(response);
    this.held = undefined;
  }
}

const ignore = (): void => {};

/** A pause hook may return a promise (a limiter with a shared store); its rejection must not go unhandled. */
function observe(value: unknown): void {
  if (typeof (value as PromiseLike<unknown> | undefined)?.then === 'function') {
    (value as PromiseLike<unknown>).then(undefined, ignore);
  }
}

/**
 * Wraps fetch in a policy. Each attempt runs inside `policy` with the policy's signal (so timeouts and the
 * caller's `init.signal` abort it). A retryable answer (503, 429...) becomes an HttpStatusError inside the
 * policy, its body drained so the connection is reused; if the policy gives up, the call rejects with it. A
 * failure answer that must not be retried (e.g. a POST's 500) is thrown inside the policy too, so breakers count
 * it, and returned untouched to the caller; every other answer is returned untouched. A throttled answer's hint
 * pauses `pauseLimiter` and is passed to `onThrottle`. Requests are sent again only when that is safe: an
 * idempotent method, an idempotency key, `retryUnsafe`, or proof the server did not process them; a streamed
 * body is never sent twice.
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call). The returned fetch rejects as fetch does, or with the policy's error (an `HttpStatusError`
 * once a retryable answer's retries are spent).
 */
export function resilientFetch(
  policy: Policy<Response, any>,
  options: ResilientFetchOptions = {},
): FetchLike {
  requireMethods('policy', policy, POLICY_METHODS, 'a Bulwark policy or pipeline');
  const config = configure(options);
  return function fetchWithPolicy(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    try {
      const facts = describeRequest(input, init, config.idempotencyKeyHeader);
      const call = new FetchCall(config, input, init, facts);
      return policy.execute(call.attempt, { signal: facts.signal }).then(call.succeed, call.fail);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
