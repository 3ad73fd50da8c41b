import type { Task } from '../policy.js';
import { SignalWatcher, throwDetached, unwatchSignal, watchSignal } from './signal-fanout.js';

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
export const DEADLINE = Symbol.for('bulwark.deadline');

export type AbortListener = (reason: unknown) => void;

/** The method by which a layer that holds capacity for the work below it learns about work left running. */
export const HOLD: unique symbol = Symbol('bulwark.hold');

/**
 * A layer that holds capacity for the work running below it: a bulkhead slot, a half-open probe slot, an adaptive
 * concurrency slot. Such capacity stands for work really in progress, so it must not be freed while work the layer
 * admitted still runs, even after a layer below released its caller (an aggressive timeout expired, the caller
 * aborted, a hedged attempt lost).
 */
export interface SlotHolder {
  /**
   * Keeps one unit of capacity taken until `work` settles: `work` runs under `context` (a context this holder
   * passed down, or one below it) and outlived its caller. Never throws; must observe `work`'s rejection.
   */
  [HOLD](work: Promise<unknown>, context: Ctx): void;
}

/**
 * The slot holders enclosing a layer in one composition, outermost first. A pipeline computes them once per layer
 * when it composes, so a layer releasing its caller early can tell them about the work it leaves running, while
 * the success path costs nothing: no allocation, no per-call registration.
 */
export type Holders = readonly SlotHolder[];

export const NO_HOLDERS: Holders = Object.freeze([]);

export function isSlotHolder(value: unknown): value is SlotHolder {
  return typeof (value as Partial<SlotHolder> | null)?.[HOLD] === 'function';
}

/**
 * Called by a layer that answers its caller before the work it started below has settled (an aggressive timeout
 * that expired, a probe whose caller aborted, a hedge's losing attempts): every enclosing slot holder keeps one
 * unit of capacity for `work` until it settles. `context` is the context the layer received. Rare path only.
 */
export function leaveBehind(work: Promise<unknown>, context: Ctx, holders: Holders): void {
  for (let i = 0; i < holders.length; i++) holders[i]![HOLD](work, context);
}

/**
 * The internal context: besides the public fields, it can tell whether it can ever abort and notify listeners
 * without materialising an AbortSignal (the success path should not pay for one).
 */
export abstract class Ctx implements ExecutionContext {
  /** The user's function, carried down so a pipeline's layers can be composed once, not per call. */
  abstract readonly task: Task<unknown>;
  /** The context this one was derived from (undefined for an execution's root). */
  abstract readonly parent: Ctx | undefined;
  abstract readonly signal: AbortSignal;
  abstract readonly attempt: number;
  abstract readonly deadline: number | undefined;
  abstract readonly hedge: number;
  /** False when nothing can ever abort this context (no caller signal, no timeout). */
  abstract readonly canAbort: boolean;
  abstract readonly aborted: boolean;
  abstract readonly reason: unknown;
  /**
   * Calls `listener` once on abort, at once (before returning) if the context has already aborted, so a caller
   * that subscribes late (after running user code that may have aborted the signal) cannot miss it. Returns its
   * remover. Only call when canAbort.
   */
  abstract subscribe(listener: AbortListener): () => void;
}

function deadlineOf(signal: AbortSignal | undefined): number | undefined {
  const value = (signal as { [DEADLINE]?: unknown } | undefined)?.[DEADLINE];
  return typeof value === 'number' ? value : undefined;
}

const noop = (): void => {};

/** The earlier of two optional deadlines. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

const IDLE = 0;
const WATCHING = 1;
const OVER = 2;

/**
 * An execution's watch over its caller's signal: one entry in the signal's fan-out (see signal-fanout.ts), from
 * the first layer that needs it until the execution settles, fanning the abort out to the layers that subscribed.
 * Made only for an execution that has a signal.
 */
class CallerWatch extends SignalWatcher {
  /** The layers listening for the caller's abort. */
  listeners: AbortListener[] | undefined = undefined;
  /** Rejects the execution's promise (see `finish`). */
  rejectRun: ((reason: unknown) => void) | undefined = undefined;
  state: typeof IDLE | typeof WATCHING | typeof OVER = IDLE;

  constructor(readonly signal: AbortSignal) {
    super();
  }

  subscribe(listener: AbortListener): () => void {
    // The execution has settled: nothing of it follows the caller any more.
    if (this.state === OVER) return noop;
    (this.listeners ??= []).push(listener);
    this.watch();
    return () => {
      const list = this.listeners;
      if (list === undefined) return;
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    };
  }

  finish<T>(run: Promise<T>): Promise<T> {
    const signal = this.signal;
    return new Promise<T>((resolve, reject) => {
      // Settling after the abort is a no-op; the handlers also keep a late rejection from going unhandled.
      run.then(
        (value) => {
          this.end();
          resolve(value);
        },
        (error: unknown) => {
          this.end();
          reject(error);
        },
      );
      if (signal.aborted) {
        this.end();
        reject(signal.reason);
        return;
      }
      this.rejectRun = reject;
      this.watch();
    });
  }

  /** The caller's signal aborted (called once, by the signal's fan-out). */
  callerAborted(reason: unknown): void {
    this.state = OVER;
    const listeners = this.listeners;
    const reject = this.rejectRun;
    this.listeners = undefined;
    this.rejectRun = undefined;
    if (listeners !== undefined) {
      for (const listener of listeners) {
        try {
          listener(reason);
        } catch (error) {
          throwDetached(error);
        }
      }
    }
    reject?.(reason);
  }

  private watch(): void {
    if (this.state === IDLE) {
      this.state = WATCHING;
      watchSignal(this.signal, this);
    }
  }

  /** The execution settled: it stops following the caller's signal, and so does everything in it. */
  private end(): void {
    if (this.state === WATCHING) unwatchSignal(this.signal, this);
    this.state = OVER;
    this.listeners = undefined;
    this.rejectRun = undefined;
  }
}

/**
 * An execution's root: the caller's function, signal and deadline. With a signal, it is the execution's only
 * watcher of it (a CallerWatch): however many layers listen, an execution costs its caller's signal at most one
 * listener (executions sharing a signal share it), and none once it settled.
 */
export class RootContext extends Ctx {
  // Assigned once in the constructor (no field initializers): one store per field on the hot path.
  declare readonly task: Task<unknown>;
  declare readonly attempt: number;
  declare readonly hedge: number;
  declare readonly deadline: number | undefined;
  declare readonly canAbort: boolean;
  declare private readonly callerSignal: AbortSignal | undefined;
  declare private own: AbortSignal | undefined;
  /** Made when first needed, only with a signal. */
  declare private watch: CallerWatch | undefined;

  constructor(task: Task<unknown>, callerSignal: AbortSignal | undefined, deadline: number | undefined) {
    super();
    this.task = task;
    this.callerSignal = callerSignal;
    this.own = undefined;
    this.attempt = 0;
    this.hedge = 0;
    this.canAbort = callerSignal !== undefined;
    this.deadline = callerSignal === undefined ? deadline : earliest(deadline, deadlineOf(callerSignal));
    this.watch = undefined;
  }

  get parent(): undefined {
    return undefined;
  }

  get signal(): AbortSignal {
    if (this.callerSignal) return this.callerSignal;
    // Created only when the function asks for it; nothing can abort it.
    this.own ??= new AbortController().signal;
    return this.own;
  }

  get aborted(): boolean {
    return this.callerSignal?.aborted === true;
  }

  get reason(): unknown {
    return this.callerSignal?.reason;
  }

  subscribe(listener: AbortListener): () => void {
    const signal = this.callerSignal;
    if (signal === undefined) return noop;
    if (signal.aborted) {
      listener(signal.reason);
      return noop;
    }
    this.watch ??= new CallerWatch(signal);
    return this.watch.subscribe(listener);
  }

  /**
   * The execution's promise: `run`'s outcome, unless the caller aborts first, even while the function still runs
   * synchronously (an already-aborted signal never dispatches again): then the caller's reason at once, whatever
   * the layers and the function do later. Stops watching the signal when it settles. Without a signal it is `run`
   * itself: the common path costs nothing.
   */
  finish<T>(run: Promise<T>): Promise<T> {
    const signal = this.callerSignal;
    if (signal === undefined) return run;
    this.watch ??= new CallerWatch(signal);
    return this.watch.finish(run);
  }
}

/** The same scope as its parent, seen by one retry attempt. */
export class AttemptContext extends Ctx {
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
export class ScopedContext extends Ctx {
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
    return () => {
      const list = this.listeners;
      if (!list) return;
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    };
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
