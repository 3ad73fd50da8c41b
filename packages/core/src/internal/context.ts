import type { Task } from '../policy.js';

/** What every executed function receives. */
export interface ExecutionContext {
  /** Fires on caller abort or when an enclosing timeout or hedge gives up on this attempt. */
  readonly signal: AbortSignal;
  /** 0 for the first call, 1 for the first retry... */
  readonly attempt: number;
  /** Absolute time (clock ms) by which the whole execution must be done, when a caller or timeout set one. */
  readonly deadline: number | undefined;
  /** 0 for the primary call, n for the n-th hedged call. */
  readonly hedge: number;
}

/** Property by which a signal made by Bulwark carries its deadline to nested executions. */
export const DEADLINE = /* @__PURE__ */ Symbol.for('bulwark.deadline');

/**
 * Called once with the abort reason when the execution is aborted.
 * @inline
 */
export type AbortListener = (reason: unknown) => void;

/**
 * What a policy's layer receives and passes on (see `RUN`): the function's ExecutionContext, plus whether it has
 * aborted and a way to hear of the abort without creating an AbortSignal (the success path should not pay for
 * one). Only Bulwark makes contexts: a layer passes on the context it received, and the innermost layer's `next`
 * hands it to the function.
 */
export abstract class PolicyContext implements ExecutionContext {
  /** @internal The user's function, carried down so a pipeline's layers can be composed once, not per call. */
  abstract readonly task: Task<unknown>;
  /** @internal The context this one was derived from (undefined for an execution's root). */
  abstract readonly parent: PolicyContext | undefined;
  abstract readonly signal: AbortSignal;
  abstract readonly attempt: number;
  abstract readonly deadline: number | undefined;
  abstract readonly hedge: number;
  /**
   * False when nothing can ever abort this context (no caller signal, no timeout or hedge around): a layer may
   * then skip `subscribe`.
   */
  abstract readonly canAbort: boolean;
  /** True once the caller aborted, or a timeout or hedge around gave up on this attempt. */
  abstract readonly aborted: boolean;
  /** Why it aborted (the caller's signal's reason, a TimeoutError...); undefined until then. */
  abstract readonly reason: unknown;
  /**
   * Calls `listener` once on abort, at once (before returning) if the context has already aborted, so a caller
   * that subscribes late (after running user code that may have aborted the signal) cannot miss it. Returns its
   * remover: call it once the layer no longer waits, so no listener outlives its work. Does nothing (and returns a
   * no-op remover) when `canAbort` is false.
   */
  abstract subscribe(listener: AbortListener): () => void;
}

/** The short name the policies use for a PolicyContext. */
export type Ctx = PolicyContext;

export const noop = (): void => {};

/** Takes `listener` out of a scope's list of abort listeners, if it is still there (what `subscribe` returns does). */
export function removeListener(list: AbortListener[] | undefined, listener: AbortListener): void {
  if (list === undefined) return;
  const index = list.indexOf(listener);
  if (index >= 0) list.splice(index, 1);
}

/** The earlier of two optional deadlines. */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** The same scope as its parent, seen by one retry attempt. */
export class AttemptContext extends PolicyContext {
  constructor(
    readonly parent: Ctx,
    readonly attempt: number,
  ) {
    super();
  }
  get task(): Task<unknown> {
    return this.parent.task;
  }
  get signal(): AbortSignal {
    return this.parent.signal;
  }
  get deadline(): number | undefined {
    return this.parent.deadline;
  }
  get hedge(): number {
    return this.parent.hedge;
  }
  get canAbort(): boolean {
    return this.parent.canAbort;
  }
  get aborted(): boolean {
    return this.parent.aborted;
  }
  get reason(): unknown {
    return this.parent.reason;
  }
  subscribe(listener: AbortListener): () => void {
    return this.parent.subscribe(listener);
  }
}

/**
 * A scope that can abort on its own (a timeout, a hedged attempt) and also follows its parent's abort until
 * released. Its AbortSignal is created only if the function reads it.
 */
export class ScopedContext extends PolicyContext {
  // Assigned once in the constructor, in one order, so every scope (and subclass) shares one hidden class.
  declare readonly parent: Ctx;
  declare readonly task: Task<unknown>;
  declare readonly attempt: number;
  declare readonly hedge: number;
  declare readonly deadline: number | undefined;
  declare readonly canAbort: boolean;
  declare aborted: boolean;
  declare reason: unknown;
  declare private controller: AbortController | undefined;
  declare private listeners: AbortListener[] | undefined;
  declare private unlink: (() => void) | undefined;

  constructor(parent: Ctx, deadline: number | undefined, hedge = parent.hedge) {
    super();
    this.parent = parent;
    this.task = parent.task;
    this.attempt = parent.attempt;
    this.hedge = hedge;
    this.deadline = earliest(parent.deadline, deadline);
    this.canAbort = true;
    this.aborted = false;
    this.reason = undefined;
    this.controller = undefined;
    this.listeners = undefined;
    this.unlink = undefined;
    if (parent.canAbort) {
      if (parent.aborted) {
        this.aborted = true;
        this.reason = parent.reason;
      } else {
        this.unlink = parent.subscribe((reason) => this.abort(reason));
      }
    }
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.deadline !== undefined) {
        (this.controller.signal as { [DEADLINE]?: number })[DEADLINE] = this.deadline;
      }
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts this scope (and everything below it) with `reason`. Idempotent. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.release();
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
  }

  subscribe(listener: AbortListener): () => void {
    if (this.aborted) {
      listener(this.reason);
      return noop;
    }
    (this.listeners ??= []).push(listener);
    return () => removeListener(this.listeners, listener);
  }

  /** Stops following the parent: called once the scope's execution settled, so no listener outlives it. */
  release(): void {
    const unlink = this.unlink;
    if (unlink) {
      this.unlink = undefined;
      unlink();
    }
  }
}
