/**
 * The four operations of the store contract, dispatched on ARGV[1]: 'a' acquire, 'm' acquire that answers the
 * marks too (formatting them costs, and most calls do not ask for them), 'j' adjust, 'p' pause, 'r' read.
 * Everything is computed before the first write, so a script never stops half-way with some keys written (Redis
 * does not roll a script back). A key's TTL is the time until its state is at rest (usage expired, pause over)
 * plus a margin (MARGIN, 1 s), after which Redis drops it: an idle key costs nothing.
 */
export const OPERATIONS = `
-- A whole number of ms, passed as a number: Redis sends it as '%.14g' before 7.0 (exact below 1e14) and exactly
-- since, so only a TTL beyond 3000 years needs formatting.
local function ttl(until_, now)
  local ms = ceil(until_ - now) + MARGIN
  if ms > MAX_TTL then ms = MAX_TTL end
  if ms < 1e14 then return ms end
  return string.format('%d', ms)
end

-- The key's state, or nil; an error reply when what is stored does not fit these limits.
local function load(key)
  local blob = redis.call('GET', key)
  if not blob then return nil end
  if #blob ~= 8 * SIZE then
    return nil, redis.error_reply('BULWARK_STATE ' .. key .. ' holds a state that does not fit these limits')
  end
  return decode(blob)
end

-- Kept MARGIN ms past its rest time, even when already at rest: a charge on an admission whose usage was all
-- refunded still counts until that admission's window ends, as in core's store, which keeps such a key too.
local function save(key, S, now)
  redis.call('SET', key, encode(S), 'PX', ttl(max(rest_at(S), now), now))
end

local now = clock_now()
local paused = tonumber(redis.call('GET', KEYS[1]) or '') or NEVER

if OP == 'p' and ARGV[OPS + 1] == '0' then
  local until_ = now + tonumber(ARGV[OPS])
  if until_ > paused and until_ > now then redis.call('SET', KEYS[1], fmt(until_), 'PX', ttl(until_, now)) end
  return fmt(now)
end

local S, failure = load(KEYS[2])
if failure then return failure end

if OP == 'a' or OP == 'm' then
  local existed = S ~= nil
  if not existed then S = fresh(now) end
  local marks = {}
  local ok, wait, by = admit(S, numbers(OPS, N), now, paused, marks)
  if not ok then
    if existed and DIRTY then save(KEYS[2], S, now) end
    return { 0, fmt(now), fmt(wait), by }
  end
  save(KEYS[2], S, now)
  local reply = { 1, fmt(now) }
  if OP == 'm' then
    for i = 1, N do reply[i + 2] = fmt(marks[i]) end
  end
  return reply
end

if OP == 'j' then
  local deltas = numbers(OPS, N)
  if not S then
    local charge = false
    for i = 1, N do
      if deltas[i] > 0 then charge = true end
    end
    if not charge then return fmt(now) end
    S = fresh(now)
  end
  adjust_all(S, deltas, tonumber(ARGV[OPS + N]), numbers(OPS + N + 1, N), numbers(OPS + 2 * N + 1, N), now)
  save(KEYS[2], S, now)
  return fmt(now)
end

if OP == 'p' then
  if not S then S = fresh(now) end
  S[1] = max(S[1], now + tonumber(ARGV[OPS]))
  save(KEYS[2], S, now)
  return fmt(now)
end

if OP == 'r' then
  local reply = { fmt(now), fmt(paused) }
  if S then
    for i = 1, SIZE do reply[i + 2] = fmt(S[i]) end
  end
  return reply
end

return redis.error_reply('BULWARK_OP unknown operation ' .. tostring(OP))
`;
