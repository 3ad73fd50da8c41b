import {
  type Backoff,
  type BackoffSequence,
  declaredMaxDelay,
  declaredMaxRetries,
  nextDelay,
  type RandomSource,
  requireBackoff,
  startSequence,
} from '../backoff/backoff.js';
import { exponential } from '../backoff/exponential.js';
import type { Clock } from '../clock.js';
import { retryAfterOf } from '../errors.js';
import type { GiveUpReason, RetryEvent } from '../events.js';
import { AttemptContext, type Ctx } from '../internal/context.js';
import { asFiniteNonNegative } from '../internal/finite.js';
import {
  clockOf,
  optionalBoolean,
  optionalFunction,
  optionalRetryGate,
  orDefault,
  policyName,
  requireFiniteNonNegative,
  requireInteger,
  requireOneOf,
} from '../internal/validate.js';
import { waitFor } from '../internal/wait.js';
import { type Next, PolicyBase, RUN } from '../policy.js';
import { RetryExhaustedError } from './exhausted.js';

/** What retry consults before each retry; see `retryBudget`. */
export interface RetryGate {
  /** Records that an execution started (counted towards the budget's base). */
  recordAttempt(): void;
  /** Asks for one retry; false means "no retry left". */
  tryAcquireRetry(): boolean;
}

/** Options of {@link retry}. All are optional; a bad value throws {@link InvalidOptionError} naming the option. */
export interface RetryOptions {
  /**
   * Total attempts including the first. Default 3. Infinity is allowed (then bound it with a deadline). A backoff
   * that limits its retries (`listBackoff(delays, { exhausted: 'stop' })`) lowers it to its `maxRetries + 1`.
   */
  readonly maxAttempts?: number;
  /** Delays between attempts. Default: exponential, decorrelated jitter, 200 ms, 30 s cap. */
  readonly backoff?: Backoff;
  /** Which errors to retry. Default: every error except the caller's own abort. */
  readonly handle?: (error: unknown) => boolean;
  /** Which results to retry (e.g. a "busy" answer). Default: none. */
  readonly handleResult?: (value: unknown) => boolean;
  /**
   * The delay function (Polly's delay generator, cockatiel's delegate backoff): computes the wait before attempt
   * `attempt` (1 = the first retry) from the failed outcome, e.g. a delay a server sent in its error or its result.
   * A number >= 0 is a hint that replaces the backoff's delay (see `hintMode`; longer than `maxDelay`, retry gives
   * up); undefined means "no hint, use the backoff", and so does anything that is not a finite number >= 0 (NaN,
   * a negative number, Infinity, a string): never a silently wrong wait. Default: the error's numeric
   * `retryAfterMs`.
   */
  readonly delayHint?: (outcome: RetryOutcome, attempt: number) => number | undefined;
  /**
   * How a hint combines with the backoff. 'replace' (default): the hint is the delay. 'floor': the later of the
   * hint and the backoff's delay, for servers that round their hint down (Gemini's RetryInfo says "0s" with 0.6 s
   * left): a retry never comes sooner than the backoff would have sent it.
   */
  readonly hintMode?: 'replace' | 'floor';
  /**
   * Longest wait retry accepts (ms). A backoff delay longer than this is cut to it; a hint longer than this gives
   * up at once instead (the server said it will not succeed sooner). Default 60 000.
   */
  readonly maxDelay?: number;
  /**
   * When retry gives up on a result `handleResult` refused (for any reason: attempts, budget, deadline, a hint too
   * long), reject with a {@link RetryExhaustedError} carrying that result instead of returning it (resilience4j's
   * `failAfterMaxAttempts`). Default false: the last result is returned.
   */
  readonly failOnExhaustedResult?: boolean;
  /** A shared retry budget; a retry it refuses ends the execution with the last outcome. */
  readonly budget?: RetryGate;
  /**
   * Random source for the backoff's jitter. Default `Math.random`; tests pass `seededRandom` from
   * `@bulwark/core/testing`.
   */
  readonly random?: RandomSource;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'retry'`. */
  readonly name?: string;
}

const defaultBackoff = /* @__PURE__ */ exponential({
  initialDelay: 200,
  maxDelay: 30_000,
  jitter: 'decorrelated',
});
const defaultHint = (outcome: RetryOutcome): number | undefined => retryAfterOf(outcome.error);

/**
 * A failed attempt, as `delayHint` sees it: what it threw (`error`), or the result `handleResult` refused
 * (`result`). Exactly one of the two is present (`'error' in outcome` tells which).
 */
export interface RetryOutcome {
  /** What the attempt threw. */
  readonly error?: unknown;
  /** The result `handleResult` refused. */
  readonly result?: unknown;
}

/**
 * A failed attempt worth retrying: what it threw, or the result `handleResult` refused. It is handed as is to
 * `delayHint` and spread into the `retry` and `giveUp` events.
 */
type Failure = { readonly error: unknown } | { readonly result: unknown };

export class RetryPolicy extends PolicyBase<never, 'success' | 'failure' | 'retry' | 'giveUp'> {
  /** Total attempts including the first: {@link RetryOptions.maxAttempts} (default 3). */
  declare readonly maxAttempts: number;
  /**
   * The delays between attempts: {@link RetryOptions.backoff} (default exponential, decorrelated jitter, 200 ms, 30 s
   * cap).
   */
  declare readonly backoff: Backoff;
  /** The longest wait accepted (ms): {@link RetryOptions.maxDelay} (default 60 000). */
  declare readonly maxDelay: number;
  /** Attempts actually allowed: maxAttempts, lowered to the backoff's `maxRetries + 1` when it declares one. */
  declare private readonly attemptLimit: number;
  declare private readonly failOnExhaustedResult: boolean;
  /**
   * The longest backoff delay waited: maxDelay, or the backoff's own maxDelay when smaller. A longer delay is cut
   * to it and one that is not a number >= 0 counts as it.
   */
  declare private readonly delayCap: number;
  declare private readonly handle: ((error: unknown) => boolean) | undefined;
  declare private readonly handleResult: ((value: unknown) => boolean) | undefined;
  declare private readonly delayHint: (outcome: RetryOutcome, attempt: number) => number | undefined;
  declare private readonly hintFloors: boolean;
  declare private readonly budget: RetryGate | undefined;
  declare private readonly random: RandomSource | undefined;
  declare private readonly clock: Clock;

  constructor(options: RetryOptions = {}) {
    super(policyName(options, 'retry'));
    this.maxAttempts = requireInteger('maxAttempts', orDefault(options.maxAttempts, 3), 1, true);
    this.backoff = requireBackoff(orDefault(options.backoff, defaultBackoff));
    this.maxDelay = requireFiniteNonNegative('maxDelay', orDefault(options.maxDelay, 60_000));
    this.delayCap = Math.min(this.maxDelay, declaredMaxDelay(this.backoff) ?? this.maxDelay);
    this.attemptLimit = Math.min(this.maxAttempts, (declaredMaxRetries(this.backoff) ?? Infinity) + 1);
    this.handle = optionalFunction('handle', options.handle);
    this.handleResult = optionalFunction('handleResult', options.handleResult);
    this.delayHint = optionalFunction('delayHint', options.delayHint) ?? defaultHint;
    this.hintFloors =
      requireOneOf('hintMode', orDefault(options.hintMode, 'replace'), ['replace', 'floor']) === 'floor';
    this.failOnExhaustedResult =
      optionalBoolean('failOnExhaustedResult', options.failOnExhaustedResult) === true;
    this.budget = optionalRetryGate(options.budget);
    this.random = optionalFunction('random', options.random);
    this.clock = clockOf(options.clock);
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    this.budget?.recordAttempt();
    // The first attempt's start, for the `retry` event's attemptDuration: read only when someone listens to it
    // (NaN otherwise: a listener attached during the attempt then sees a duration of 0).
    let attemptStarted = Number.NaN;
    // One read decides for the common case of no listener at all.
    if (this.handleResult !== undefined || this.events.active) {
      if (this.handleResult !== undefined || this.listens('success') || this.listens('failure')) {
        return this.loop(context, next, undefined, attemptStarted);
      }
      if (this.listens('retry')) attemptStarted = this.clock.now();
    }
    // The fast path, apart from the loop because a first attempt that succeeds then costs one derived promise
    // (and its rejection handler): no async frame, no clock read. The loop starts only after a failure, from it.
    let pending: unknown;
    try {
      // Inside another retry the context carries the outer attempt's number: this retry's first attempt is its 0.
      pending = next(context.attempt === 0 ? context : new AttemptContext(context, 0));
    } catch (error) {
      try {
        return this.loop(context, next, this.retryable(error, context, 0), attemptStarted);
      } catch (final) {
        return Promise.reject(final);
      }
    }
    if (typeof (pending as PromiseLike<unknown> | null)?.then !== 'function') return Promise.resolve(pending);
    // An error that will not be retried is rethrown by the handler itself, which spares the loop's own promise
    // and the ticks of adopting it.
    return Promise.resolve(pending).then(undefined, (error) =>
      this.loop(context, next, this.retryable(error, context, 0), attemptStarted),
    );
  }

  /**
   * Runs attempts until one succeeds or retry gives up. `failure` is the first attempt's when the fast path ran
   * it (which started at `attemptStarted`): the loop then starts with the wait before the second attempt.
   */
  private async loop(
    context: Ctx,
    next: Next,
    failure: Failure | undefined,
    attemptStarted: number,
  ): Promise<unknown> {
    const started = this.listens('success') || this.listens('failure') ? this.clock.now() : 0;
    let sequence: BackoffSequence | undefined;
    for (let attempt = failure === undefined ? 0 : 1; ; attempt++) {
      if (failure !== undefined) {
        // `attempt` attempts failed so far, the last with `failure`.
        if (attempt >= this.attemptLimit) return this.giveUp('attempts', attempt, failure, started);
        const hint = asFiniteNonNegative(this.delayHint(failure, attempt));
        if (hint !== undefined && hint > this.maxDelay) {
          return this.giveUp('hintTooLong', attempt, failure, started);
        }
        // The wait before the next attempt: the hint's, unless it only floors the backoff's delay.
        let delay = hint;
        let delaySource: RetryEvent['delaySource'] = 'hint';
        if (delay === undefined || this.hintFloors) {
          sequence ??= startSequence(this.backoff, this.random);
          const backoff = nextDelay(sequence, this.delayCap);
          if (delay === undefined || backoff >= delay) {
            delay = backoff;
            delaySource = 'backoff';
          }
        }
        const deadline = context.deadline;
        if (deadline !== undefined && this.clock.now() + delay >= deadline) {
          return this.giveUp('deadline', attempt, failure, started);
        }
        if (this.budget !== undefined && !this.budget.tryAcquireRetry()) {
          return this.giveUp('budget', attempt, failure, started);
        }
        if (this.listens('retry')) {
          this.events.emit('retry', {
            policy: this.name,
            attempt,
            delay,
            delaySource,
            attemptDuration: this.clock.now() - attemptStarted || 0,
            ...failure,
          });
        }
        try {
          await waitFor(this.clock, delay, context);
        } catch (reason) {
          throw this.fail(reason, started);
        }
      }
      if (this.listens('retry')) attemptStarted = this.clock.now();
      try {
        const result = await next(
          attempt === 0 && context.attempt === 0 ? context : new AttemptContext(context, attempt),
        );
        if (this.handleResult === undefined || !this.handleResult(result)) {
          this.reportSuccess(this.clock, started);
          return result;
        }
        failure = { result };
      } catch (error) {
        failure = this.retryable(error, context, started);
      }
    }
  }

  /**
   * An attempt's error as a failure to retry, or, thrown (and reported), the execution's end: the caller's abort
   * ends everything at once with the caller's reason, and an error `handle` refuses is not retried.
   */
  private retryable(error: unknown, context: Ctx, started: number): Failure {
    if (context.aborted) throw this.fail(context.reason, started);
    if (this.handle !== undefined && !this.handle(error)) throw this.fail(error, started);
    return { error };
  }

  /** Ends the execution with the last attempt's outcome: its error is thrown, its result returned. */
  private giveUp(reason: GiveUpReason, attempts: number, failure: Failure, started: number): unknown {
    if (this.listens('giveUp')) {
      this.events.emit('giveUp', { policy: this.name, reason, attempts, ...failure });
    }
    if ('error' in failure) throw this.fail(failure.error, started);
    if (this.failOnExhaustedResult) {
      throw this.fail(new RetryExhaustedError(failure.result, attempts, reason), started);
    }
    this.reportSuccess(this.clock, started);
    return failure.result;
  }

  private fail(error: unknown, started: number): unknown {
    this.reportFailure(this.clock, error, started);
    return error;
  }
}

/**
 * Retries failed attempts with backoff, honouring server delay hints and the caller's deadline.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function retry(options?: RetryOptions): RetryPolicy {
  return new RetryPolicy(options);
}
