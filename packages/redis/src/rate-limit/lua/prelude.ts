import type { Layout } from './layout.js';

/** The script's constants, the limits' numbers from ARGV, and the op. */
export function prelude(layout: Layout): string {
  return `local NEVER = -1.7976931348623157e308
local EPS = 1e-6
local MARGIN = 1000
local GRID = 500
local MAX_TTL = 1125899906842624
local floor, ceil, max, min, HUGE = math.floor, math.ceil, math.max, math.min, math.huge
local tonumber, format = tonumber, string.format
local OP = ARGV[1]
${layout.header}`;
}

/**
 * The two ways the script learns the time, `now` (ms): the server's clock (always, in production) or the last
 * ARGV (tests). NOW is how replies carry it: the server's time as a whole number of µs (an integer reply: exact, and
 * cheaper than formatting a double; now is that number / 1000, as the store computes it), the test clock's as the
 * double it was given ('%.17g': Redis would truncate a Lua number to an integer).
 *
 * ABSOLUTE: expiries are times on the server's clock (SET's PXAT and KEEPTTL, see operations.ts), which needs the
 * server's time and Redis 7 or Valkey (whose scripts know REDIS_VERSION_NUM, and always replicate a script's
 * effects); otherwise TTLs are durations from now (PX), as for the test clock, whose times are not the server's.
 */
export const SERVER_TIME = `local ABSOLUTE = redis.REDIS_VERSION_NUM ~= nil
if not ABSOLUTE and redis.replicate_commands then pcall(redis.replicate_commands) end
local NOW
do
  local t = redis.call('TIME')
  NOW = t[1] * 1000000 + t[2]
end
local now = NOW / 1000`;

export const ARGUMENT_TIME = `local ABSOLUTE = false
local now = ARGV[#ARGV] * 1
local NOW = format('%.17g', now)`;
