/**
 * Core's algorithms.ts over every limit of a key: tryAdmit, fitAll, admit (with the scope's pause kept apart),
 * consumeAll, adjustAll, restAt. `marks` receives each limit's mark on admission.
 */
export const ALGORITHMS = `
local function consume_all(S, costs, now, marks)
  for i = 1, N do
    local l = LIMITS[i]
    if l.bucket then marks[i] = bucket_consume(l, S, costs[i], now)
    else marks[i] = window_consume(l, S, costs[i], now) end
  end
end

local function try_admit(S, costs, now, marks)
  if S[1] > now + EPS then return false end
  for i = 1, N do
    local cost = costs[i]
    if cost ~= 0 then
      local l = LIMITS[i]
      if l.bucket then
        if S[l.off] + (cost - l.cap) * l.interval > now + EPS then return false end
      else
        advance(l, S, now)
        if S[l.off + 2] + cost - l.cap > 1e-9 * max(l.cap, 1) and window_fit(l, S, cost, now) > now then
          return false
        end
      end
    end
  end
  consume_all(S, costs, now, marks)
  return true
end

-- The earliest time >= t at which every limit admits costs, and the 0-based limit that decided it (-1: the pause).
local function fit_all(S, costs, t)
  local time, by = t, -2
  if S[1] > time then
    time = S[1]
    by = -1
  end
  for i = 1, N do
    local cost = costs[i]
    if cost ~= 0 then
      local l = LIMITS[i]
      local fit
      if l.bucket then fit = bucket_fit(l, S, cost, t) else fit = window_fit(l, S, cost, t) end
      if fit > time then
        time = fit
        by = i - 1
      end
    end
  end
  return time, by
end

-- true, or false with the wait and the limit that decided it.
local function admit(S, costs, now, paused, marks)
  if paused <= now + EPS and try_admit(S, costs, now, marks) then return true end
  local time, by = fit_all(S, costs, now)
  if paused > time then
    time = paused
    by = -1
  end
  if time > now + EPS then return false, time - now, by end
  consume_all(S, costs, now, marks)
  return true
end

-- Made only for an adjust (a closure per call costs: see lua/script.ts).
local adjust_all
if OP == 'j' then
  function adjust_all(S, deltas, at, costs, marks, now)
    local refundable = at >= S[2]
    for i = 1, N do
      local delta = deltas[i]
      if delta ~= 0 and delta == delta and delta ~= HUGE and delta ~= -HUGE and (delta > 0 or refundable) then
        local l = LIMITS[i]
        if l.bucket then bucket_adjust(l, S, delta, marks[i], costs[i], now)
        else window_adjust(l, S, delta, marks[i], now) end
      end
    end
  end
end

local function rest_at(S)
  local rest = S[1]
  for i = 1, N do
    local l = LIMITS[i]
    local t
    if l.bucket then t = S[l.off] else t = window_rest_at(l, S) end
    if t > rest then rest = t end
  end
  return rest
end
`;
