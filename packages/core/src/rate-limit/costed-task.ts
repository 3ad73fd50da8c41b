import { InvalidOptionError } from '../errors.js';
import { describe, optionsOf } from '../internal/validate.js';
import type { Task } from '../policy.js';
import { type Cost, checkCost } from './cost.js';
import type { Admission } from './store.js';

/** Tagged functions -> their call info. A WeakMap lookup stays cheap however many kinds of functions pass by. */
const CALL_INFOS = new WeakMap<object, CallInfo>();
/** Until the first withCost, no function can be tagged: limiters skip the lookup. */
let anyTagged = false;

/** A limiter that admitted a tagged call and can correct that admission later. */
export interface GrantOwner {
  /** Corrects `grant` to `actual` (undefined: give everything back). */
  settleGrant(grant: Grant, actual: Cost | undefined): Promise<void>;
}

/** One admission of a limiter (what it took, and the marks its store needs to correct it), and its key. */
export interface Grant extends Admission {
  readonly owner: GrantOwner;
  readonly key: string;
}

/** What `withCost` attaches to a function; limiters read it and record their admissions on it. */
export class CallInfo {
  /** The latest admission per limiter that has not been corrected yet. */
  private grants: Grant[] = [];

  constructor(
    readonly cost: Cost | undefined,
    readonly key: string | undefined,
  ) {}

  /** Keeps the latest admission per limiter: a retry's admission replaces the previous attempt's. */
  record(grant: Grant): void {
    const index = this.grants.findIndex((g) => g.owner === grant.owner);
    if (index >= 0) this.grants[index] = grant;
    else this.grants.push(grant);
  }

  settle(actual: Cost | undefined): Promise<void> {
    const grants = this.grants;
    this.grants = [];
    if (grants.length === 0) return Promise.resolve();
    if (grants.length === 1) return grants[0]!.owner.settleGrant(grants[0]!, actual);
    return Promise.all(grants.map((g) => g.owner.settleGrant(g, actual))).then(noop);
  }
}

/** A function tagged with a rate-limit cost and key; it can correct the admission it got afterwards. */
export interface CostedTask<T> extends Task<T> {
  /** The cost given to {@link withCost}; undefined keeps each limiter's `cost` option. */
  readonly cost: Cost | undefined;
  /** The key given to {@link withCost}; undefined keeps each limiter's `key` option. */
  readonly key: string | undefined;
  /**
   * Corrects the latest admission of every limiter this function went through (e.g. estimated tokens -> the
   * tokens the server reported): a larger actual cost is charged now, a smaller one gives back what the limits
   * still hold of the admission. Each admission is corrected once; later calls do nothing until the next
   * admission. Await it with an asynchronous store.
   */
  reconcile(actual: Cost): Promise<void>;
  /** Gives back all of the latest admission, the call included (e.g. the request never reached the server). */
  refund(): Promise<void>;
}

/** Options of {@link withCost}. */
export interface WithCostOptions {
  /** The key (model, tenant...) whose limits this call counts against, for keyed limiters. */
  readonly key?: string;
}

/**
 * Attaches a cost (and a key) to `fn` for every rate limiter it passes through, also inside a pipeline:
 * `pipeline.execute(withCost(fn, { tokens: 1200 }))`. `cost` undefined keeps each limiter's own `cost` option.
 * @throws {@link InvalidOptionError} when `fn` is not a function, or `cost` or `options.key` is invalid.
 */
export function withCost<T>(fn: Task<T>, cost: Cost | undefined, options?: WithCostOptions): CostedTask<T> {
  const task = tagged(fn, cost, optionsOf(options).key) as CostedTask<T>;
  const info = CALL_INFOS.get(task)!;
  Object.defineProperties(task, {
    cost: { value: info.cost, enumerable: true },
    key: { value: info.key, enumerable: true },
    reconcile: { value: (actual: Cost) => info.settle(checkCost(actual)) },
    refund: { value: () => info.settle(undefined) },
  });
  return task;
}

/** A wrapper of `fn` that limiters recognise, carrying a checked cost and key (the cheap part of withCost). */
export function tagged<T>(fn: Task<T>, cost: Cost | undefined, key: string | undefined): Task<T> {
  if (typeof fn !== 'function')
    throw new InvalidOptionError('fn', `withCost(fn): expected a function, got ${describe(fn)}`);
  const checked = cost === undefined ? undefined : checkCost(cost);
  if (key !== undefined && typeof key !== 'string') {
    throw new InvalidOptionError('key', `expected a string, got ${describe(key)}`);
  }
  // A new function per call, so concurrent calls of the same fn keep their own cost and admissions.
  const task: Task<T> = (context) => fn(context);
  CALL_INFOS.set(task, new CallInfo(checked, key));
  anyTagged = true;
  return task;
}

/** The call info attached to a task, if any. */
export function callInfoOf(task: object): CallInfo | undefined {
  return anyTagged ? CALL_INFOS.get(task) : undefined;
}

const noop = (): void => {};
