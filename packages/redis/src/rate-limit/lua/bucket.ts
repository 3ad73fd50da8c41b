import type { LuaLimit } from './layout.js';

/**
 * Core's bucket.ts (token bucket and smooth, GCRA) on the flat state, as inline Lua for one limit: the same
 * operations in the same order, so the doubles come out the same. `tat` and `refunded` name its state's two numbers.
 */

/** Sets `fit` to the earliest time >= t at which `cost` fits. */
export function bucketFit(l: LuaLimit, cost: string, t: string): string {
  return `fit = ${l.tat} + (${cost} - ${l.cap}) * ${l.interval}
if fit <= ${t} + EPS then fit = ${t} end`;
}

/** Takes `cost` at t; sets `mark` (the admission's end, refunds included). */
export function bucketConsume(l: LuaLimit, cost: string, t: string, mark: string): string {
  const { tat, refunded } = l;
  return `${tat} = max(${tat}, ${t}) + ${cost} * ${l.interval}
${mark} = ${tat} + ${refunded}`;
}

/** A charge (delta > 0) or a refund of what is still outstanding of an admission of `granted` marked `mark`. */
export function bucketAdjust(l: LuaLimit, delta: string, mark: string, granted: string): string {
  const { tat, refunded } = l;
  return `if ${delta} > 0 then
  ${tat} = max(${tat}, now) + ${delta} * ${l.interval}
else
  local outstanding = min(${granted}, max(0, (${mark} - ${refunded} - now) / ${l.interval}))
  local refund = min(-${delta}, outstanding) * ${l.interval}
  ${tat} = ${tat} - refund
  ${refunded} = ${refunded} + refund
end`;
}

/** Raises `rest` to when this limit comes to rest (the bucket is full again). */
export function bucketRest(l: LuaLimit): string {
  return `if ${l.tat} > rest then rest = ${l.tat} end`;
}
