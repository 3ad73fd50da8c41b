import { deadlineOf } from '../timeout/deadline.js';
import type { Task } from '../policy.js';
import { CallerWatch } from './caller-watch.js';
import { type AbortListener, earliest, noop, PolicyContext } from './context.js';

/**
 * An execution's root: the caller's function, signal and deadline. With a signal, it is the execution's only
 * watcher of it (a CallerWatch): however many layers listen, an execution costs its caller's signal at most one
 * listener (executions sharing a signal share it), and none once it settled.
 */
export class RootContext extends PolicyContext {
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
