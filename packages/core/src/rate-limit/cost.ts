import { InvalidOptionError } from '../errors.js';
import { describe, requireFiniteNonNegative } from '../internal/validate.js';
import type { RateLimit } from './limits.js';

/**
 * What one execution takes from the limits. A number is taken from every limit except 'calls' limits (which
 * always take 1); a record names the amount per unit ({ tokens: 1200, images: 2 }): a unit it leaves out takes 0,
 * except 'calls', which takes 1 unless the record says otherwise.
 */
export type Cost = number | Readonly<Record<string, number>>;

const COST_ERROR = /* @__PURE__ */ Symbol.for('bulwark.rateLimitCostError');

/** One execution costs more than a limit can ever hold: waiting would never end, so it fails at once. */
export class RateLimitCostError extends InvalidOptionError {
  /** Brand for {@link isRateLimitCostError}, shared by every copy of the package. */
  readonly [COST_ERROR] = true;
  /** The limit's name. */
  declare readonly limit: string;
  /** The execution's cost in the limit's unit. */
  declare readonly cost: number;
  /** The most the limit can hold. */
  declare readonly capacity: number;

  constructor(limit: string, cost: number, capacity: number) {
    super(
      'cost',
      `${cost} exceeds the capacity ${capacity} of limit "${limit}", so it could never be admitted`,
    );
    this.name = 'RateLimitCostError';
    this.limit = limit;
    this.cost = cost;
    this.capacity = capacity;
  }
}

/** True for a {@link RateLimitCostError}, from any copy of the package. */
export function isRateLimitCostError(value: unknown): value is RateLimitCostError {
  return (
    typeof value === 'object' && value !== null && (value as { [COST_ERROR]?: unknown })[COST_ERROR] === true
  );
}

/** Checks a cost's shape (not its size against the limits). */
export function checkCost(cost: unknown, option = 'cost'): Cost {
  if (typeof cost === 'number') {
    if (Number.isFinite(cost) && cost >= 0) return cost;
  } else if (typeof cost === 'object' && cost !== null && !Array.isArray(cost)) {
    for (const [unit, amount] of Object.entries(cost)) requireFiniteNonNegative(`${option}.${unit}`, amount);
    return cost as Cost;
  }
  throw new InvalidOptionError(
    option,
    `expected a finite number >= 0 or a record of them per unit, got ${describe(cost)}`,
  );
}

/**
 * The amount each limit takes for `cost` (undefined: nothing at all, not even the call). With `bounded`, a cost
 * no limit could ever admit throws RateLimitCostError.
 */
export function costsFor(limits: readonly RateLimit[], cost: Cost | undefined, bounded: boolean): number[] {
  const costs = new Array<number>(limits.length);
  for (let i = 0; i < limits.length; i++) {
    const limit = limits[i]!;
    const unit = limit.unit;
    let amount: number;
    if (cost === undefined) amount = 0;
    else if (typeof cost === 'number') amount = unit === 'calls' ? 1 : cost;
    else amount = cost[unit] ?? (unit === 'calls' ? 1 : 0);
    if (bounded && amount > limit.capacity) throw new RateLimitCostError(limit.name, amount, limit.capacity);
    costs[i] = amount;
  }
  return costs;
}
