import type { LuaLimit } from './layout.js';

/**
 * Core's window.ts (sliding window in segments) on the flat state, as inline Lua for one limit: S[o] newest,
 * S[o + 1] head (a 0-based slot), S[o + 2] total, counts from S[o + 3], lasts from S[o + 3 + slots]. `advance`
 * raises DIRTY when it moves the ring, so a refused acquire still saves the moved ring (core's store keeps it too,
 * and later sums depend on it). Advancing twice at the same time changes nothing the second time.
 */

/** Moves the ring to t's segment, emptying the segments that left the window. */
export function windowAdvance(l: LuaLimit, t: string): string {
  const { o, slots: n } = l;
  return `do
  local current = floor(${t} / ${l.granule})
  local newest = S[${o}]
  if current > newest then
    DIRTY = true
    local c, u = ${o} + 3, ${o} + 3 + ${n}
    if current - newest >= ${n} then
      for i = 0, ${n} - 1 do
        S[c + i] = 0
        S[u + i] = NEVER
      end
      S[${o} + 2] = 0
    else
      local head = S[${o} + 1]
      for _ = 1, current - newest do
        head = head + 1
        if head == ${n} then head = 0 end
        S[${o} + 2] = S[${o} + 2] - S[c + head]
        S[c + head] = 0
        S[u + head] = NEVER
      end
      S[${o} + 1] = head
      if S[${o} + 2] < 0 then S[${o} + 2] = 0 end
    end
    S[${o}] = current
  end
end`;
}

/** Sets `fit` to the earliest time >= t at which `cost` fits (HUGE: never); the ring already advanced to t. */
export function windowFit(l: LuaLimit, cost: string, t: string): string {
  const { o, slots: n, eps } = l;
  return `fit = ${t}
if not (S[${o} + 2] + ${cost} - ${l.cap} <= ${eps}) then
  local c, u = ${o} + 3, ${o} + 3 + ${n}
  local head = S[${o} + 1]
  local live = 0
  for age = 0, ${n} - 1 do
    local slot = (head + 1 + age) % ${n}
    if S[u + slot] + ${l.window} > ${t} then live = live + S[c + slot] end
  end
  local excess = live + ${cost} - ${l.cap}
  if not (excess <= ${eps}) then
    fit = HUGE
    local freed = 0
    for age = 0, ${n} - 1 do
      local slot = (head + 1 + age) % ${n}
      local expires = S[u + slot] + ${l.window}
      if expires > ${t} then
        freed = freed + S[c + slot]
        if freed >= excess - ${eps} then
          fit = expires
          break
        end
      end
    end
  end
end`;
}

/** Takes `cost` at t (the ring advanced to t); sets `mark` (the segment's number). */
export function windowConsume(l: LuaLimit, cost: string, t: string, mark: string): string {
  const o = l.o;
  return `do
  local i = ${o} + 3 + S[${o} + 1]
  local last = i + ${l.slots}
  S[i] = S[i] + ${cost}
  if ${t} > S[last] then S[last] = ${t} end
  S[${o} + 2] = S[${o} + 2] + ${cost}
  ${mark} = S[${o}]
end`;
}

/** A charge or a refund on the segment `mark` names, if it is still in the window (the ring advanced to now). */
export function windowAdjust(l: LuaLimit, delta: string, mark: string): string {
  const o = l.o;
  return `do
  local newest = S[${o}]
  if not (${mark} < newest - ${l.segments} or ${mark} > newest) then
    local slot = S[${o} + 1] - (newest - ${mark})
    if slot < 0 then slot = slot + ${l.slots} end
    local i = ${o} + 3 + slot
    if ${delta} < 0 then
      local refund = min(-${delta}, S[i])
      S[i] = S[i] - refund
      S[${o} + 2] = max(0, S[${o} + 2] - refund)
    else
      S[i] = S[i] + ${delta}
      S[${o} + 2] = S[${o} + 2] + ${delta}
    end
  end
end`;
}

/**
 * Raises `rest` to when this limit comes to rest: its newest use leaves the window. A segment refunded to zero
 * counts too: its admission may still be charged until it leaves the window.
 */
export function windowRest(l: LuaLimit): string {
  const u = `${l.o} + 3 + ${l.slots}`;
  return `do
  local u = ${u}
  for j = 0, ${l.slots} - 1 do
    local t = S[u + j] + ${l.window}
    if t > rest then rest = t end
  end
end`;
}
