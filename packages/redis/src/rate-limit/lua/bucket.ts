/**
 * Core's bucket.ts (token bucket and smooth, GCRA) on the flat state: the same operations in the same order, so
 * the doubles come out the same. S[o] is tat, S[o + 1] refunded.
 */
export const BUCKET = `
local function bucket_fit(l, S, cost, t)
  local need = S[l.off] + (cost - l.cap) * l.interval
  if need <= t + EPS then return t end
  return need
end

local function bucket_consume(l, S, cost, t)
  local o = l.off
  S[o] = max(S[o], t) + cost * l.interval
  return S[o] + S[o + 1]
end

-- Made only for an adjust (a closure per call costs: see lua/script.ts).
local bucket_adjust
if OP == 'j' then
  function bucket_adjust(l, S, delta, mark, granted, now)
    local o = l.off
    local interval = l.interval
    if delta > 0 then
      S[o] = max(S[o], now) + delta * interval
      return
    end
    local ending = mark - S[o + 1]
    local outstanding = min(granted, max(0, (ending - now) / interval))
    local refund = min(-delta, outstanding) * interval
    S[o] = S[o] - refund
    S[o + 1] = S[o + 1] + refund
  end
end
`;
