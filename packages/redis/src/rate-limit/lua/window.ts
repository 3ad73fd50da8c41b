/**
 * Core's window.ts (sliding window in segments) on the flat state: S[o] newest, S[o + 1] head (a 0-based slot),
 * S[o + 2] total, counts from S[o + 3], lasts from S[o + 3 + slots]. `advance` raises DIRTY when it moves the
 * ring, so a refused acquire still saves the moved ring (core's store keeps it too, and later sums depend on it).
 */
export const WINDOW = `
local DIRTY = false

-- Made only when a limit is a window, window_adjust only for an adjust (a closure per call costs: see
-- lua/script.ts).
local advance, window_fit, window_consume, window_rest_at, window_adjust
if WINDOWS then
  function advance(l, S, t)
    local o = l.off
    local current = floor(t / l.granule)
    local newest = S[o]
    if not (current > newest) then return end
    DIRTY = true
    local n = l.slots
    local c, u = o + 3, o + 3 + n
    if current - newest >= n then
      for i = 0, n - 1 do
        S[c + i] = 0
        S[u + i] = NEVER
      end
      S[o + 2] = 0
    else
      local head = S[o + 1]
      for _ = 1, current - newest do
        head = head + 1
        if head == n then head = 0 end
        S[o + 2] = S[o + 2] - S[c + head]
        S[c + head] = 0
        S[u + head] = NEVER
      end
      S[o + 1] = head
      if S[o + 2] < 0 then S[o + 2] = 0 end
    end
    S[o] = current
  end


  function window_fit(l, S, cost, t)
    advance(l, S, t)
    local o = l.off
    local cap = l.cap
    local epsilon = 1e-9 * max(cap, 1)
    if S[o + 2] + cost - cap <= epsilon then return t end
    local n = l.slots
    local c, u = o + 3, o + 3 + n
    local head = S[o + 1]
    local live = 0
    for age = 0, n - 1 do
      local slot = (head + 1 + age) % n
      if S[u + slot] + l.window > t then live = live + S[c + slot] end
    end
    local excess = live + cost - cap
    if excess <= epsilon then return t end
    local freed = 0
    for age = 0, n - 1 do
      local slot = (head + 1 + age) % n
      local expires = S[u + slot] + l.window
      if expires > t then
        freed = freed + S[c + slot]
        if freed >= excess - epsilon then return expires end
      end
    end
    return HUGE
  end


  function window_consume(l, S, cost, t)
    advance(l, S, t)
    local o = l.off
    local i = o + 3 + S[o + 1]
    local last = i + l.slots
    S[i] = S[i] + cost
    if t > S[last] then S[last] = t end
    S[o + 2] = S[o + 2] + cost
    return S[o]
  end


  function window_rest_at(l, S)
    local o = l.off
    local u = o + 3 + l.slots
    local t = NEVER
    -- A segment refunded to zero counts too: its admission may still be charged until it leaves the window.
    for j = 0, l.slots - 1 do
      if S[u + j] + l.window > t then t = S[u + j] + l.window end
    end
    return t
  end

  if OP == 'j' then
    function window_adjust(l, S, delta, mark, now)
      advance(l, S, now)
      local o = l.off
      local newest = S[o]
      if mark < newest - l.segments or mark > newest then return end
      local slot = S[o + 1] - (newest - mark)
      if slot < 0 then slot = slot + l.slots end
      local i = o + 3 + slot
      if delta < 0 then
        local refund = min(-delta, S[i])
        S[i] = S[i] - refund
        S[o + 2] = max(0, S[o + 2] - refund)
      else
        S[i] = S[i] + delta
        S[o + 2] = S[o + 2] + delta
      end
    end
  end
end
`;
