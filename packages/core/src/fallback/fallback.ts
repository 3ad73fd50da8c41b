import type { Clock } from '../clock.js';
import type { Ctx, ExecutionContext } from '../internal/context.js';
import { clockOf, optionalFunction, policyName, requireFunction } from '../internal/validate.js';
import { type Next, PolicyBase, RUN } from '../policy.js';

/** Why the fallback is used: the function threw, or returned a result `handleResult` rejected. */
export type Failure =
  | {
      /** The function threw. */
      readonly kind: 'error';
      /** What it threw. */
      readonly error: unknown;
    }
  | {
      /** The function returned a result `handleResult` rejected. */
      readonly kind: 'result';
      /** The rejected result. */
      readonly result: unknown;
    };

/** Options of {@link fallback}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface FallbackOptions<F> {
  /** Produces the replacement value. May be async. */
  readonly fallback: (failure: Failure, context: ExecutionContext) => F | PromiseLike<F>;
  /** Which errors fall back. Default: every error except the caller's own abort. */
  readonly handle?: (error: unknown) => boolean;
  /** Which results fall back. Default: none. */
  readonly handleResult?: (value: unknown) => boolean;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'fallback'`. */
  readonly name?: string;
}

export class FallbackPolicy<F> extends PolicyBase<F, 'success' | 'failure' | 'fallback'> {
  declare private readonly produce: (failure: Failure, context: ExecutionContext) => F | PromiseLike<F>;
  declare private readonly handle: ((error: unknown) => boolean) | undefined;
  declare private readonly handleResult: ((value: unknown) => boolean) | undefined;
  declare private readonly clock: Clock;

  constructor(options: FallbackOptions<F>) {
    super(policyName(options, 'fallback', 'fallback'));
    this.produce = requireFunction('fallback', options.fallback);
    this.handle = optionalFunction('handle', options.handle);
    this.handleResult = optionalFunction('handleResult', options.handleResult);
    this.clock = clockOf(options.clock);
  }

  [RUN](context: Ctx, next: Next): Promise<unknown> {
    if (this.handleResult !== undefined || this.events.active) return this.observe(context, next);
    // Success path: one derived promise, no clock read. A sync throw is handled like a rejection.
    let pending: unknown;
    try {
      pending = next(context);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return Promise.resolve(pending).then(undefined, (error) => this.recover(context, error, undefined));
  }

  /** Runs `next` when results are inspected or someone listens (durations need the start time). */
  private async observe(context: Ctx, next: Next): Promise<unknown> {
    const started = this.clock.now();
    let result: unknown;
    try {
      result = await next(context);
    } catch (error) {
      return this.recover(context, error, started);
    }
    if (this.handleResult === undefined || !this.handleResult(result)) {
      this.reportSuccess(this.clock, started);
      return result;
    }
    return this.fall(context, { kind: 'result', result }, started);
  }

  /**
   * Falls back on a handled error, else passes it on (the caller's reason when it aborted). `started` is
   * undefined when the start time was not read (nobody listened then): the failure reports duration 0.
   */
  private recover(context: Ctx, error: unknown, started: number | undefined): unknown {
    if (context.aborted || (this.handle !== undefined && !this.handle(error))) {
      this.reportFailure(this.clock, error, started);
      throw context.aborted ? context.reason : error;
    }
    return this.fall(context, { kind: 'error', error }, started);
  }

  /** `started`: when the execution started, if read (always, when someone listens: `observe` ran it). */
  private fall(context: Ctx, failure: Failure, started: number | undefined): unknown {
    if (this.listens('fallback')) {
      const duration = started === undefined ? 0 : this.clock.now() - started;
      this.events.emit(
        'fallback',
        failure.kind === 'error'
          ? { policy: this.name, error: failure.error, duration }
          : { policy: this.name, result: failure.result, duration },
      );
    }
    return this.produce(failure, context);
  }
}

/**
 * Replaces a handled failure with a value from `options.fallback`.
 * @throws {@link InvalidOptionError} naming the option, for an invalid option (at construction, never later).
 */
export function fallback<F>(options: FallbackOptions<F>): FallbackPolicy<F> {
  return new FallbackPolicy(options);
}
