/**
 * The script's frame: constants, the limits read from ARGV, and the per-key state as a flat array of numbers.
 *
 * ARGV: op, time (read by the test clock only), the number of limits, four values per limit (kind 'b' or 'w',
 * capacity, interval or window, segments), then the op's own arguments from ARGV[OPS]. KEYS[1] holds the scope's
 * pause, KEYS[2] the key's state.
 *
 * The state of a key (core's KeyState) is one flat Lua array, kept in Redis as one MessagePack string (doubles
 * stay exact): [1] pausedUntil, [2] since, then per limit, from its `off`: a bucket's tat, refunded; a window's
 * newest, head (0-based slot), total, counts[0..segments], lasts[0..segments].
 */
export const PRELUDE = `
local NEVER = -1.7976931348623157e308
local EPS = 1e-6
local MARGIN = 1000
local MAX_TTL = 1125899906842624
local floor, ceil, max, min, HUGE = math.floor, math.ceil, math.max, math.min, math.huge

local function fmt(x) return string.format('%.17g', x) end

local LIMITS = {}
local SIZE = 2
local OPS = 4
for i = 1, tonumber(ARGV[3]) do
  local span, seg = tonumber(ARGV[OPS + 2]), tonumber(ARGV[OPS + 3])
  local l = { bucket = ARGV[OPS] == 'b', cap = tonumber(ARGV[OPS + 1]), off = SIZE + 1 }
  if l.bucket then
    l.interval = span
    SIZE = SIZE + 2
  else
    l.window = span
    l.segments = seg
    l.granule = span / seg
    l.slots = seg + 1
    SIZE = SIZE + 3 + 2 * l.slots
  end
  LIMITS[i] = l
  OPS = OPS + 4
end
local N = #LIMITS

local function numbers(from, count)
  local t = {}
  for i = 1, count do t[i] = tonumber(ARGV[from + i - 1]) end
  return t
end

local function fresh(now)
  local S = { NEVER, now }
  for i = 1, N do
    local l = LIMITS[i]
    local o = l.off
    S[o] = NEVER
    S[o + 1] = 0
    if not l.bucket then
      S[o + 2] = 0
      local c, u = o + 3, o + 3 + l.slots
      for j = 0, l.slots - 1 do
        S[c + j] = 0
        S[u + j] = NEVER
      end
    end
  end
  return S
end
`;

/** The two ways the script learns the time: the server's clock (always, in production) or ARGV[2] (tests). */
export const SERVER_TIME = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local function clock_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
`;

export const ARGUMENT_TIME = `
local function clock_now() return tonumber(ARGV[2]) end
`;
