import type { LuaLimit } from './layout.js';

/**
 * Core's bucket.ts (token bucket and smooth, GCRA) on the flat state, as inline Lua for one limit: the same
 * operations in the same order, so the doubles come out the same. S[o] is tat, S[o + 1] refunded.
 */

/** Sets `fit` to the earliest time >= t at which `cost` fits. */
export function bucketFit(l: LuaLimit, cost: string, t: string): string {
  return `fit = S[${l.o}] + (${cost} - ${l.cap}) * ${l.interval}
if fit <= ${t} + EPS then fit = ${t} end`;
}

/** Takes `cost` at t; sets `mark` (the admission's end, refunds included). */
export function bucketConsume(l: LuaLimit, cost: string, t: string, mark: string): string {
  return `S[${l.o}] = max(S[${l.o}], ${t}) + ${cost} * ${l.interval}
${mark} = S[${l.o}] + S[${l.o} + 1]`;
}

/** A charge (delta > 0) or a refund of what is still outstanding of an admission of `granted` marked `mark`. */
export function bucketAdjust(l: LuaLimit, delta: string, mark: string, granted: string): string {
  const o = l.o;
  return `if ${delta} > 0 then
  S[${o}] = max(S[${o}], now) + ${delta} * ${l.interval}
else
  local outstanding = min(${granted}, max(0, (${mark} - S[${o} + 1] - now) / ${l.interval}))
  local refund = min(-${delta}, outstanding) * ${l.interval}
  S[${o}] = S[${o}] - refund
  S[${o} + 1] = S[${o} + 1] + refund
end`;
}

/** Raises `rest` to when this limit comes to rest (the bucket is full again). */
export function bucketRest(l: LuaLimit): string {
  return `if S[${l.o}] > rest then rest = S[${l.o}] end`;
}
