import { InvalidOptionError } from '../errors.js';
import type { Ctx } from '../internal/context.js';
import { describe } from '../internal/validate.js';
import { checkCost, costsFor } from './cost.js';
import type { Task } from '../policy.js';
import { type CallInfo, callInfoOf, tagged } from './costed-task.js';
import type { RateLimitExecuteOptions, RateLimitSettings } from './options.js';

/** What a limiter takes for one call. */
export interface Call {
  readonly key: string;
  /** One per limit. */
  readonly costs: readonly number[];
  /** What withCost (or execute's options) attached to the call, where its admission is recorded. */
  readonly info: CallInfo | undefined;
}

/**
 * The key and costs of a call, most specific first: execute's options or withCost, then the key and cost
 * functions, then the fixed options. A bad answer of a function throws InvalidOptionError.
 */
export function resolveCall(context: Ctx, settings: RateLimitSettings): Call {
  const info = callInfoOf(context.task);
  let key = info?.key;
  if (key === undefined && settings.keyOption !== undefined) {
    key = settings.keyOption(context);
    if (key !== undefined && typeof key !== 'string') {
      throw new InvalidOptionError('key', `the key function returned ${describe(key)}, expected a string`);
    }
  }
  let costs = settings.fixedCosts;
  if (info?.cost !== undefined) costs = costsFor(settings.limits, info.cost, true);
  else if (settings.costOption !== undefined)
    costs = costsFor(settings.limits, checkCost(settings.costOption(context)), true);
  return { key: key ?? settings.fixedKey, costs, info };
}

/** `fn` tagged with the cost and key `execute`'s options give this call, if any. A bad one throws. */
export function withCallOptions<R>(fn: Task<R>, options: RateLimitExecuteOptions | undefined): Task<R> {
  if (typeof options !== 'object' || options === null) return fn;
  if (options.cost === undefined && options.key === undefined) return fn;
  return tagged(fn, options.cost, options.key);
}
