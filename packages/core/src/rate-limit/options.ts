import type { Clock, TimerOptions } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import type { ExecutionContext } from '../internal/context.js';
import { unrefOption } from '../internal/timer-options.js';
import {
  clockOf,
  describe,
  orDefault,
  policyName,
  requireMethods,
  requireNonNegativeOrInfinity,
  requireOneOf,
} from '../internal/validate.js';
import type { ExecuteOptions } from '../policy.js';
import { type Cost, checkCost, costsFor } from './cost.js';
import { checkLimit, type RateLimit } from './limits.js';
import { MemoryRateLimitStore } from './memory-store.js';
import type { RateLimitStore } from './store.js';

/**
 * 'wait': a call waits its turn (up to `maxWait`); 'reject': a call that cannot pass at once is refused with {@link
 * RateLimitedError}.
 */
export type RateLimitMode = 'wait' | 'reject';

/** Options of {@link rateLimit}; a bad value throws {@link InvalidOptionError} naming the option. */
export interface RateLimitOptions {
  /** One limit or several; an execution is admitted only when every limit admits it (all or nothing). */
  readonly limits: RateLimit | readonly RateLimit[];
  /** 'wait' (default): wait in FIFO order up to maxWait. 'reject': refuse at once with RateLimitedError. */
  readonly mode?: RateLimitMode;
  /** Longest wait accepted in 'wait' mode (ms, >= 0 or Infinity); a longer one is refused at once. Default 60 000. */
  readonly maxWait?: number;
  /** Cost of an execution when the call does not bring its own (withCost). A function is asked per call. Default 1. */
  readonly cost?: Cost | ((context: ExecutionContext) => Cost);
  /** The key whose limits an execution counts against (per model, per tenant...). Default: one shared key. */
  readonly key?: string | ((context: ExecutionContext) => string | undefined);
  /** Where usage lives. Default: a private in-memory store. */
  readonly store?: RateLimitStore;
  /**
   * Let the process exit while calls wait for admission. Default false: the timer of a key's first waiter keeps a
   * Node process alive until it is admitted or refused; no timer is left once nobody waits.
   */
  readonly unref?: boolean;
  /**
   * Time source for delays, timers and durations. Default `realClock`; tests pass a `VirtualClock` from
   * `@bulwark/core/testing`.
   */
  readonly clock?: Clock;
  /** Names the policy in its events (each payload's `policy`). Default `'rateLimit'`. */
  readonly name?: string;
}

/** Options of one execution through a rate limiter: the {@link ExecuteOptions} plus this call's cost and key. */
export interface RateLimitExecuteOptions extends ExecuteOptions {
  /** This call's cost (overrides the `cost` option). */
  readonly cost?: Cost;
  /** This call's key (overrides the `key` option). */
  readonly key?: string;
}

/** Options of {@link RateLimitPolicy.pause}. */
export interface PauseOptions {
  /** Pause one key only. Default: every key. */
  readonly key?: string;
}

/** The key used when none is given; reported as undefined in errors and events. */
const SHARED_KEY = '';

/** A key as errors and events report it. */
export function publicKey(key: string): string | undefined {
  return key === SHARED_KEY ? undefined : key;
}

const STORE_METHODS = ['acquire', 'adjust', 'pause', 'read'] as const;

/** A rate limiter's options, checked and with their defaults. */
export interface RateLimitSettings {
  readonly name: string;
  readonly limits: readonly RateLimit[];
  readonly mode: RateLimitMode;
  readonly maxWait: number;
  /** The cost per limit when the call brings none and there is no cost function. */
  readonly fixedCosts: readonly number[];
  /** The `cost` option when it is not a function (what fixedCosts come from). */
  readonly fixedCost: Cost;
  readonly costOption: ((context: ExecutionContext) => Cost) | undefined;
  readonly fixedKey: string;
  readonly keyOption: ((context: ExecutionContext) => string | undefined) | undefined;
  readonly store: RateLimitStore;
  readonly clock: Clock;
  readonly timerOptions: TimerOptions | undefined;
}

/** Checks rateLimit's options; a bad one throws InvalidOptionError naming it. */
export function rateLimitSettings(options: RateLimitOptions): RateLimitSettings {
  const name = policyName(options, 'rateLimit', 'limits');
  const given = options.limits;
  if (given === undefined || given === null || (Array.isArray(given) && given.length === 0)) {
    throw new InvalidOptionError(
      'limits',
      `expected a limit (tokenBucket, smooth, slidingWindow) or a non-empty array of them, got ${describe(given)}`,
    );
  }
  const limits = Object.freeze((Array.isArray(given) ? given : [given]).map(checkLimit));
  const mode = requireOneOf('mode', orDefault(options.mode, 'wait'), ['wait', 'reject']);
  const maxWait = requireNonNegativeOrInfinity('maxWait', orDefault(options.maxWait, 60_000));
  const cost = orDefault<RateLimitOptions['cost']>(options.cost, 1);
  let costOption: ((context: ExecutionContext) => Cost) | undefined;
  let fixedCost: Cost = 1;
  if (typeof cost === 'function') costOption = cost;
  else fixedCost = checkCost(cost);
  const fixedCosts = fixedCostsFor(limits, costOption, fixedCost);
  const key = options.key;
  let keyOption: ((context: ExecutionContext) => string | undefined) | undefined;
  if (typeof key === 'function') keyOption = key;
  else if (key !== undefined && typeof key !== 'string') {
    throw new InvalidOptionError('key', `expected a string or a function, got ${describe(key)}`);
  }
  const store =
    options.store === undefined
      ? new MemoryRateLimitStore()
      : requireMethods<RateLimitStore>('store', options.store, STORE_METHODS, 'a RateLimitStore');
  return {
    name,
    limits,
    mode,
    maxWait,
    fixedCosts,
    fixedCost,
    costOption,
    fixedKey: typeof key === 'string' ? key : SHARED_KEY,
    keyOption,
    store,
    clock: clockOf(options.clock),
    timerOptions: unrefOption(options.unref),
  };
}

/** The costs of a call that brings none, per limit (none when the cost comes from a function). */
export function fixedCostsFor(
  limits: readonly RateLimit[],
  costOption: RateLimitSettings['costOption'],
  cost: Cost,
): readonly number[] {
  // Not frozen: V8 reads frozen arrays markedly slower, and this one is read on every call.
  return costOption === undefined ? costsFor(limits, cost, true) : [];
}

/** Payload of a rate limiter's `limitsChange`: its limits were changed by `setLimits`. */
export interface LimitsChangeEvent {
  /** The name of the emitting policy. */
  readonly policy: string;
  /** The limits before. */
  readonly from: readonly RateLimit[];
  /** The limits now in force. */
  readonly to: readonly RateLimit[];
}
