import {
  type Backoff,
  type BackoffSequence,
  declaredMaxDelay,
  nextDelay,
  type RandomSource,
  requireBackoff,
  startSequence,
} from './backoff/backoff.js';
import { exponential } from './backoff/exponential.js';
import type { Clock } from './clock.js';
import { retryAfterOf } from './errors.js';
import type { GiveUpReason } from './events.js';
import { AttemptContext, type Ctx } from './internal/context.js';
import {
  clockOf,
  optionalFunction,
  optionalRetryGate,
  orDefault,
  policyName,
  requireFiniteNonNegative,
  requireInteger,
  requireOneOf,
} from './internal/validate.js';
import { waitFor } from './internal/wait.js';
import { type Next, PolicyBase, RUN } from './policy.js';

/** What retry consults before each retry; see `retryBudget`. */
export interface RetryGate {
  /** Records that an execution started (counted towards the budget's base). */
  recordAttempt(): void;
  /** Asks for one retry; false means "no retry left". */
  tryAcquireRetry(): boolean;
}

export interface RetryOptions {
  /** Total attempts including the first. Default 3. Infinity is allowed (then bound it with a deadline). */
  readonly maxAttempts?: number;
  /** Delays between attempts. Default: exponential, decorrelated jitter, 200 ms, 30 s cap. */
  readonly backoff?: Backoff;
  /** Which errors to retry. Default: every error except the caller's own abort. */
  readonly handle?: (error: unknown) => boolean;
  /** Which results to retry (e.g. a "busy" answer). Default: none. */
  readonly handleResult?: (value: unknown) => boolean;
  /**
   * Reads a server's delay hint from an outcome; the hint replaces the backoff's delay. Default: the error's
   * numeric `retryAfterMs`. Return undefined for "no hint".
   */
  readonly delayHint?: (outcome: { error?: unknown; result?: unknown }) => number | undefined;
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
  /** A shared retry budget; a retry it refuses ends the execution with the last outcome. */
  readonly budget?: RetryGate;
  readonly random?: RandomSource;
  readonly clock?: Clock;
  readonly name?: string;
}

const defaultBackoff = exponential({ initialDelay: 200, maxDelay: 30_000, jitter: 'decorrelated' });
const defaultHint = (outcome: { error?: unknown }): number | undefined => retryAfterOf(outcome.error);

/** The outcome of one attempt: either an error or a result handleResult rejected. */
type Outcome =
  | { readonly error: unknown; readonly failed: true }
  | { readonly result: unknown; readonly failed: false };

export class RetryPolicy extends PolicyBase<never, 'success' | 'failure' | 'retry' | 'giveUp'> {
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  readonly maxDelay: number;
  /**
   * The longest backoff delay waited: maxDelay, or the backoff's own maxDelay when smaller. A longer delay is cut
   * to it and one that is not a number >= 0 counts as it.
   */
  private readonly delayCap: number;
  private readonly handle: ((error: unknown) => boolean) | undefined;
  private readonly handleResult: ((value: unknown) => boolean) | undefined;
  private readonly delayHint: (outcome: { error?: unknown; result?: unknown }) => number | undefined;
  private readonly hintFloors: boolean;
  private readonly budget: RetryGate | undefined;
  private readonly random: RandomSource | undefined;
  private readonly clock: Clock;

  constructor(options: RetryOptions = {}) {
    super(policyName(options, 'retry'));
    this.maxAttempts = requireInteger('maxAttempts', orDefault(options.maxAttempts, 3), 1, true);
    this.backoff = requireBackoff(orDefault(options.backoff, defaultBackoff));
    this.maxDelay = requireFiniteNonNegative('maxDelay', orDefault(options.maxDelay, 60_000));
    this.delayCap = Math.min(this.maxDelay, declaredMaxDelay(this.backoff) ?? this.maxDelay);
    this.handle = optionalFunction('handle', options.handle);
    this.handleResult = optionalFunction('handleResult', options.handleResult);
    this.delayHint = optionalFunction('delayHint', options.delayHint) ?? defaultHint;
    this.hintFloors =
      requireOneOf('hintMode', orDefault(options.hintMode, 'replace'), ['replace', 'floor']) === 'floor';
    this.budget = optionalRetryGate(options.budget);
    this.random = optionalFunction('random', options.random);
    this.clock = clockOf(options.clock);
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    this.budget?.recordAttempt();
    if (this.handleResult !== undefined || this.listens('success') || this.listens('failure')) {
      return this.loop(context, next, undefined);
    }
    // Fast path: the first attempt costs one derived promise; the loop starts only after a failure.
    let pending: unknown;
    try {
      pending = next(context);
    } catch (error) {
      return this.loop(context, next, { error });
    }
    if (typeof (pending as PromiseLike<unknown> | null)?.then !== 'function') return Promise.resolve(pending);
    return Promise.resolve(pending).then(undefined, (error) => this.afterFirstFailure(context, next, error));
  }

  /**
   * The fast path's failure: an error that will not be retried is rethrown right here, which spares the loop's
   * own promise and the ticks of adopting it (a failing call is already the expensive path).
   */
  private afterFirstFailure(context: Ctx, next: Next, error: unknown): unknown {
    if (context.aborted) throw this.fail(context.reason, 0);
    if (this.handle !== undefined && !this.handle(error)) throw this.fail(error, 0);
    return this.loop(context, next, { error });
  }

  /** Runs attempts until success or give-up; `first` is the first attempt's error when it already failed. */
  private async loop(context: Ctx, next: Next, first: { error: unknown } | undefined): Promise<unknown> {
    const started = this.listens('success') || this.listens('failure') ? this.clock.now() : 0;
    let sequence: BackoffSequence | undefined;
    for (let attempt = 0; ; attempt++) {
      let outcome: Outcome;
      try {
        if (attempt === 0 && first !== undefined) throw first.error;
        const attemptContext =
          attempt === 0 && context.attempt === 0 ? context : new AttemptContext(context, attempt);
        const result = await next(attemptContext);
        if (this.handleResult === undefined || !this.handleResult(result)) {
          this.reportSuccess(this.clock, started);
          return result;
        }
        outcome = { result, failed: false };
      } catch (error) {
        // The caller's abort ends everything at once, with the caller's reason.
        if (context.aborted) throw this.fail(context.reason, started);
        if (this.handle !== undefined && !this.handle(error)) throw this.fail(error, started);
        outcome = { error, failed: true };
      }

      const attempts = attempt + 1;
      if (attempts >= this.maxAttempts) return this.giveUp('attempts', attempts, outcome, started);

      const hint = this.delayHint(outcome.failed ? { error: outcome.error } : { result: outcome.result });
      let delay: number;
      let delaySource: 'backoff' | 'hint';
      const hinted = hint !== undefined && Number.isFinite(hint) && hint >= 0;
      if (hinted && hint > this.maxDelay) return this.giveUp('hintTooLong', attempts, outcome, started);
      if (hinted && !this.hintFloors) {
        delay = hint;
        delaySource = 'hint';
      } else {
        sequence ??= startSequence(this.backoff, this.random);
        delay = nextDelay(sequence, this.delayCap);
        delaySource = 'backoff';
        if (hinted && hint > delay) {
          delay = hint;
          delaySource = 'hint';
        }
      }
      const deadline = context.deadline;
      if (deadline !== undefined && this.clock.now() + delay >= deadline) {
        return this.giveUp('deadline', attempts, outcome, started);
      }
      if (this.budget !== undefined && !this.budget.tryAcquireRetry()) {
        return this.giveUp('budget', attempts, outcome, started);
      }
      if (this.listens('retry')) {
        this.events.emit('retry', {
          policy: this.name,
          attempt: attempts,
          delay,
          delaySource,
          ...(outcome.failed ? { error: outcome.error } : { result: outcome.result }),
        });
      }
      try {
        await waitFor(this.clock, delay, context);
      } catch (reason) {
        throw this.fail(reason, started);
      }
    }
  }

  private giveUp(reason: GiveUpReason, attempts: number, outcome: Outcome, started: number): unknown {
    if (this.listens('giveUp')) {
      this.events.emit('giveUp', {
        policy: this.name,
        reason,
        attempts,
        ...(outcome.failed ? { error: outcome.error } : { result: outcome.result }),
      });
    }
    if (outcome.failed) throw this.fail(outcome.error, started);
    this.reportSuccess(this.clock, started);
    return outcome.result;
  }

  private fail(error: unknown, started: number): unknown {
    this.reportFailure(this.clock, error, started);
    return error;
  }
}

/** Retries failed attempts with backoff, honouring server delay hints and the caller's deadline. */
export function retry(options?: RetryOptions): RetryPolicy {
  return new RetryPolicy(options);
}
