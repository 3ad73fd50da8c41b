import type { Clock } from './clock.js';
import { InvalidOptionError } from './errors.js';
import { PolicyEmitter, type PolicyEventName, type PolicyEvents, type Unsubscribe } from './events.js';
import type { ExecutionContext, PolicyContext } from './internal/context.js';
import { RootContext } from './internal/root-context.js';
import type { Holders } from './internal/slot-holders.js';
import { describe, invalid, isAbortSignal } from './internal/validate.js';

export type { ExecutionContext } from './internal/context.js';

/** The function a policy runs. May return a value or a promise. */
export type Task<T> = (context: ExecutionContext) => T | PromiseLike<T>;

/** Options of a single execution (`policy.execute(fn, options)`). */
export interface ExecuteOptions {
  /**
   * Aborting it rejects the execution promptly with the signal's reason; it is never retried. `null` is the same
   * as none (as for fetch); anything else but an AbortSignal rejects with InvalidOptionError.
   */
  readonly signal?: AbortSignal | null | undefined;
  /**
   * Absolute time (clock ms) by which the whole execution must finish; retries give up rather than pass it.
   * `Infinity` (or `null`) means none; NaN or a non-number rejects with InvalidOptionError.
   */
  readonly deadline?: number | null | undefined;
}

/**
 * The method by which a policy runs as a layer of an execution: `policy[RUN](context, next, holders)`. A pipeline
 * reads it once per layer when it composes (not once per call). Implement it, on a `PolicyBase` subclass, to write
 * a policy of your own (docs/architecture.md, "Writing a policy"); or let `definePolicy` do it.
 */
export const RUN: unique symbol = /* @__PURE__ */ Symbol('bulwark.run');

/**
 * Runs the layers inside this one, and finally the function, under `context`. It may throw synchronously or
 * return a value or a promise (`await` handles all three).
 */
export type Next = (context: PolicyContext) => unknown;

/**
 * A resilience policy. `Out` is what the policy may return instead of the function's result (a fallback value);
 * `Events` are the events it emits.
 */
export interface Policy<Out = never, Events extends PolicyEventName = PolicyEventName> {
  /** The policy's name in its events: its `name` option, or its kind (`'retry'`, `'timeout'`...). */
  readonly name: string;
  /** Type-level only (never set at run time): lets `pipeline()` compute its result and event types. */
  readonly __types: PolicyTypes<Out, Events>;
  /**
   * Runs `fn` under the policy; resolves with its result (or the policy's substitute, e.g. a fallback value) or rejects
   * with its error or the policy's refusal. Never throws synchronously: a bad argument rejects with {@link
   * InvalidOptionError}; an abort of `options.signal` rejects promptly with the signal's reason.
   */
  execute<R>(fn: Task<R>, options?: ExecuteOptions): Promise<R | Out>;
  /** Listens to an event; returns a function that removes the listener. */
  on<K extends Events>(event: K, listener: (...args: PolicyEvents[K]) => void): Unsubscribe;
  /**
   * Runs `next` under this policy within an existing execution, and settles with what this layer answers.
   * `holders` are the slot holders around this layer in its composition (see `leaveBehind`); omitted, there are
   * none.
   */
  [RUN](context: PolicyContext, next: Next, holders?: Holders): Promise<unknown>;
}

/** Type-level only: what a policy may return instead of the function's result, and the events it emits. */
export interface PolicyTypes<Out, Events> {
  /** What the policy may return instead of the function's result. */
  readonly out: Out;
  /** The events the policy emits. */
  readonly events: Events;
}

/** Any policy, for parameters that accept every kind. */
export type AnyPolicy = Policy<any, any>;

/**
 * Checks `execute`'s arguments and makes the execution's root, or returns the error to reject with: a bad argument
 * is never thrown synchronously. An already-aborted signal is not an error here (the caller rejects with its
 * reason).
 */
export function startExecution(fn: unknown, options: unknown): RootContext | Error {
  if (typeof fn !== 'function')
    return new InvalidOptionError('fn', `execute(fn): expected a function, got ${describe(fn)}`);
  if (options === undefined || options === null)
    return new RootContext(fn as Task<unknown>, undefined, undefined);
  if (typeof options !== 'object') {
    return invalid('options', 'an object ({ signal, deadline })', options);
  }
  let signal: unknown;
  let deadline: unknown;
  try {
    ({ signal, deadline } = options as ExecuteOptions);
  } catch (error) {
    // A throwing getter: its error is the rejection.
    return error instanceof Error ? error : new InvalidOptionError('options', describe(error));
  }
  if (signal === null) signal = undefined;
  else if (signal !== undefined && !isAbortSignal(signal)) {
    return invalid('signal', 'an AbortSignal', signal);
  }
  if (deadline === null || deadline === Number.POSITIVE_INFINITY) deadline = undefined;
  else if (
    deadline !== undefined &&
    (typeof deadline !== 'number' || !(deadline > Number.NEGATIVE_INFINITY))
  ) {
    return invalid('deadline', 'a time in clock ms (a number, Infinity for none)', deadline);
  }
  return new RootContext(
    fn as Task<unknown>,
    signal as AbortSignal | undefined,
    deadline as number | undefined,
  );
}

/** Calls the user's function carried by the context. Sync throws become rejections at the caller's await. */
export const callTask: Next = (context) => context.task(context);

/**
 * The base of every policy: `execute` (an execution of its own), `on` and the emitter. A subclass implements
 * `[RUN]`; the protected helpers below emit the events every policy shares. `Events` names exactly the events the
 * policy emits (e.g. `'success' | 'failure' | 'retry' | 'giveUp'` for retry): `on` and `events` accept only those,
 * and the policy's own emits are checked against them. See docs/architecture.md, "Writing a policy".
 */
export abstract class PolicyBase<Out = never, Events extends PolicyEventName = PolicyEventName>
  implements Policy<Out, Events>
{
  declare readonly __types: PolicyTypes<Out, Events>;
  /** The emitter behind `on`; exposed for users who want the full eventemitter3 API. */
  readonly events: PolicyEmitter<Events> = new PolicyEmitter();

  /** @param name The policy's name in its events: its `name` option, or its kind. */
  constructor(readonly name: string) {}

  /**
   * Runs `fn` under the policy; resolves with its result (or the policy's substitute) or rejects with its error or the
   * policy's refusal. Never throws synchronously: a bad argument rejects with {@link InvalidOptionError}; an abort of
   * `options.signal` rejects promptly with the signal's reason.
   */
  execute<R>(fn: Task<R>, options?: ExecuteOptions): Promise<R | Out> {
    const context = startExecution(fn, options);
    if (!(context instanceof RootContext)) return Promise.reject(context);
    if (context.aborted) return Promise.reject(context.reason);
    return context.finish(this[RUN](context, callTask) as Promise<R | Out>);
  }

  on<K extends Events>(event: K, listener: (...args: PolicyEvents[K]) => void): Unsubscribe {
    const emitter = this.events as unknown as PolicyEmitter;
    emitter.on(event, listener as never);
    return () => {
      emitter.off(event, listener as never);
    };
  }

  /** True when someone listens, so payloads are only built when they will be read. */
  protected listens(event: Events): boolean {
    return (this.events as unknown as PolicyEmitter).listens(event);
  }

  /** Emits `success` (its duration measured from `started` on `clock`) when someone listens. */
  protected reportSuccess(clock: Clock, started: number): void {
    // Every policy reports its outcomes: its Events name them (a type-level list the base cannot narrow).
    const events = this.events as unknown as PolicyEmitter;
    if (events.listens('success')) {
      events.emit('success', { policy: this.name, duration: clock.now() - started });
    }
  }

  /** Emits `failure` when someone listens; `started` undefined (refused before it started) reports 0 ms. */
  protected reportFailure(clock: Clock, error: unknown, started: number | undefined): void {
    const events = this.events as unknown as PolicyEmitter;
    if (events.listens('failure')) {
      const duration = started === undefined ? 0 : clock.now() - started;
      events.emit('failure', { policy: this.name, error, duration });
    }
  }

  /**
   * Runs `next` and reports its outcome: the path of a policy whose hot path skips reporting while nobody
   * listens. A synchronous throw is reported and becomes a rejection.
   */
  protected async runReported(
    context: PolicyContext,
    next: Next,
    clock: Clock,
    started: number,
  ): Promise<unknown> {
    let value: unknown;
    try {
      value = await next(context);
    } catch (error) {
      this.reportFailure(clock, error, started);
      throw error;
    }
    this.reportSuccess(clock, started);
    return value;
  }

  /**
   * Runs `next` (the layers inside, then the function) under this policy; see `Policy[RUN]`. Pass on the context
   * received, and answer with a promise: never throw synchronously.
   */
  abstract [RUN](context: PolicyContext, next: Next, holders?: Holders): Promise<unknown>;
}
