import { RedisScript } from '../script.js';

/*
 * The shared circuit's scripts. KEYS[1] is the circuit's record (a hash), KEYS[2] its probe permits (a sorted set:
 * permit id -> expiry), both under one hash tag. The record:
 *   st     'open' or 'closed'
 *   until  end of the break (server ms), while open
 *   br     breaks in a row since the circuit last closed, while open
 *   ps     probes that succeeded in the fleet's current half-open state (reset by every open and close); a hash
 *          holding only `ps` (no `st`) is no record: the fleet went half-open on a break Redis never heard of
 *   gen    the record's version: max(previous + 1, server time in µs), so a record written after the key expired
 *          is still newer than any a process saw before
 * Every script answers the record as it is afterwards: { gen (string), st ('none' when there is no record),
 * remaining ms of the break (0 when closed or over), breaks }. Times come from the server's TIME only.
 */

const PRELUDE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stamp = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function record()
  local r = redis.call('HMGET', KEYS[1], 'gen', 'st', 'until', 'br')
  if not r[1] then return {'0', 'none', 0, 0} end
  local remaining = 0
  if r[2] == 'open' then remaining = math.max(math.floor(tonumber(r[3]) - now), 0) end
  return {r[1], r[2], remaining, tonumber(r[4] or '0')}
end
local function nextGen()
  local cur = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
  return string.format('%.0f', math.max(cur + 1, stamp))
end
`;

/** The record. */
export const readCircuit = /* @__PURE__ */ new RedisScript(`${PRELUDE}
return record()`);

/**
 * ARGV: duration ms, breaks, keep ms. Opens the fleet's circuit for `duration` from the server's now; an open
 * record with a later end or more breaks keeps them (two processes tripping at once agree on the longer break).
 * The record lives until `keep` ms after its break; earlier permits are void.
 */
export const openCircuit = /* @__PURE__ */ new RedisScript(`${PRELUDE}
local untilMs = now + tonumber(ARGV[1])
local breaks = tonumber(ARGV[2])
local r = redis.call('HMGET', KEYS[1], 'st', 'until', 'br')
if r[1] == 'open' then
  untilMs = math.max(untilMs, tonumber(r[2]))
  breaks = math.max(breaks, tonumber(r[3]))
end
redis.call('HSET', KEYS[1], 'gen', nextGen(), 'st', 'open', 'until', string.format('%.0f', untilMs), 'br', breaks)
redis.call('HDEL', KEYS[1], 'ps')
redis.call('PEXPIRE', KEYS[1], math.floor(untilMs - now + tonumber(ARGV[3])))
redis.call('DEL', KEYS[2])
return record()`);

/**
 * ARGV: 'probes' or 'reset', the gen the closer last knew, keep ms. A close by probes is fenced: it applies only
 * if the open record is the one the closer knew (a probe that failed elsewhere, or a newer break, wins). A reset
 * always applies. The closed record lives `keep` ms; permits are void.
 */
export const closeCircuit = /* @__PURE__ */ new RedisScript(`${PRELUDE}
local r = redis.call('HMGET', KEYS[1], 'gen', 'st')
if r[2] == 'closed' then return record() end
if ARGV[1] == 'probes' and r[2] == 'open' and r[1] ~= ARGV[2] then return record() end
redis.call('HSET', KEYS[1], 'gen', nextGen(), 'st', 'closed')
redis.call('HDEL', KEYS[1], 'until', 'br', 'ps')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('DEL', KEYS[2])
return record()`);

/**
 * ARGV: probes per half-open state, lease ms, permit id. Grants a probe permit while the fleet's break is over (or
 * there is no record) and the permits held plus the probes that already succeeded are fewer than the probes; a
 * permit not released within its lease (its process died) expires. Answers { 1 or 0, ...record }.
 */
export const acquireProbe = /* @__PURE__ */ new RedisScript(`${PRELUDE}
local r = redis.call('HMGET', KEYS[1], 'st', 'until', 'ps')
local over = r[1] == false or (r[1] == 'open' and tonumber(r[2]) <= now)
if not over then return {0, unpack(record())} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local taken = redis.call('ZCARD', KEYS[2]) + tonumber(r[3] or '0')
if taken >= tonumber(ARGV[1]) then return {0, unpack(record())} end
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], now + lease, ARGV[3])
redis.call('PEXPIRE', KEYS[2], lease)
return {1, unpack(record())}`);

/**
 * ARGV: permit id, probes per half-open state, keep ms. A probe holding this permit succeeded: the permit becomes
 * one of the fleet's successes, and the fleet's circuit closes once there are as many as probes. Fenced by the
 * permit itself: every open and close voids the permits, so a success from an earlier half-open state (or after its
 * lease ran out) counts for nothing. Answers { 1 if counted, else 0, ...record }.
 */
export const probeSucceeded = /* @__PURE__ */ new RedisScript(`${PRELUDE}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return {0, unpack(record())} end
local st = redis.call('HGET', KEYS[1], 'st')
if st == 'closed' then return {0, unpack(record())} end
local successes = redis.call('HINCRBY', KEYS[1], 'ps', 1)
if successes < tonumber(ARGV[2]) then
  if not st then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3])) end
  return {1, unpack(record())}
end
redis.call('HSET', KEYS[1], 'gen', nextGen(), 'st', 'closed')
redis.call('HDEL', KEYS[1], 'until', 'br', 'ps')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('DEL', KEYS[2])
return {1, unpack(record())}`);

/** ARGV: permit id. Gives a permit back (nothing if it expired or the circuit moved on). */
export const releaseProbe = /* @__PURE__ */ new RedisScript(`redis.call('ZREM', KEYS[2], ARGV[1])
return 1`);
