/**
 * The script's frame: constants, the limits read from ARGV, and the per-key state as a flat array of numbers.
 *
 * ARGV: op, the number of limits, per limit its kind and numbers ('b', capacity, interval; or 'w', capacity,
 * window, segments), then the op's own arguments from ARGV[OPS] (the test clock's time after them). KEYS[1] holds
 * the scope's pause, KEYS[2] the key's state.
 *
 * The state of a key (core's KeyState) is one flat Lua array: [1] pausedUntil, [2] since, then per limit, from its
 * `off`: a bucket's tat, refunded; a window's newest, head (0-based slot), total, counts[0..segments],
 * lasts[0..segments]. Redis keeps it as one string of little-endian doubles (state.ts): exact, and cheap to read
 * and write.
 */
export const PRELUDE = `
local NEVER = -1.7976931348623157e308
local EPS = 1e-6
local MARGIN = 1000
local MAX_TTL = 1125899906842624
local floor, ceil, max, min, HUGE = math.floor, math.ceil, math.max, math.min, math.huge
local tonumber = tonumber

local function fmt(x) return string.format('%.17g', x) end

-- Each limit's table is built whole (adding fields later would grow it).
local OP = ARGV[1]
local LIMITS = {}
local SIZE = 2
local OPS = 3
-- Whether any limit is a window: the window functions are only made when one is (see window.ts).
local WINDOWS = false
local N = tonumber(ARGV[2])
for i = 1, N do
  local cap, span = tonumber(ARGV[OPS + 1]), tonumber(ARGV[OPS + 2])
  if ARGV[OPS] == 'b' then
    LIMITS[i] = { bucket = true, cap = cap, interval = span, off = SIZE + 1 }
    SIZE = SIZE + 2
    OPS = OPS + 3
  else
    local seg = tonumber(ARGV[OPS + 3])
    WINDOWS = true
    LIMITS[i] = {
      bucket = false, cap = cap, window = span, segments = seg, granule = span / seg, slots = seg + 1,
      off = SIZE + 1,
    }
    SIZE = SIZE + 3 + 2 * (seg + 1)
    OPS = OPS + 4
  end
end

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

/** The two ways the script learns the time: the server's clock (always, in production) or the last ARGV (tests). */
export const SERVER_TIME = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local function clock_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
`;

export const ARGUMENT_TIME = `
local function clock_now() return tonumber(ARGV[#ARGV]) end
`;
