import { bucketAdjust, bucketConsume, bucketFit, bucketRest } from './bucket.js';
import { each, type Layout, number, stateLocals } from './layout.js';
import { declareState, decodeState, encodeState, freshState } from './state.js';
import { windowAdjust, windowAdvance, windowConsume, windowFit, windowRest } from './window.js';

/**
 * The four operations of the store contract, dispatched on ARGV[1]: 'a' acquire, 'm' acquire that answers the
 * marks too (formatting them costs, and most calls do not ask for them), 'j' adjust, 'p' pause, 'r' read.
 * Everything is computed before the first write, so a script never stops half-way with some keys written (Redis
 * does not roll a script back). A key's TTL is the time until its state is at rest (usage expired, pause over)
 * plus a margin (MARGIN, 1 s), after which Redis drops it: an idle key costs nothing.
 *
 * 'l' (relimit) converts every key of the scope to the script's numbers (see relimit below).
 *
 * Replies: an admission without marks is NOW alone; with marks { 1, NOW, marks... }; a refusal { 0, NOW, wait,
 * the 0-based deciding limit or -1 for a pause }; a reading { NOW, the scope's pause, S... }; adjust and pause NOW.
 */
export function operations(layout: Layout): string {
  const ops = layout.ops;
  const n = layout.limits.length;
  const arg = (i: number) => number(ops + i);
  const costs = each(layout, (l) => `local ${l.cost} = ${arg(l.index)}`);
  const fmt = (x: string) => `format('%.17g', ${x})`;
  const pausedUntil = layout.slot(1);
  const since = layout.slot(2);
  const locals = stateLocals(layout);
  return `local paused = redis.call('GET', KEYS[1])
if paused then paused = tonumber(paused) or NEVER else paused = NEVER end

if OP == 'p' and ARGV[${ops + 1}] == '0' then
  local until_ = now + ${arg(0)}
  if until_ > paused and until_ > now then
${indent(ttl('until_'), 4)}
    redis.call('SET', KEYS[1], ${fmt('until_')}, 'PX', ms)
  end
  return NOW
end

${relimit(layout)}

-- The key's state, if it has one (HAS); an error reply when what is stored does not fit these limits. KEPT: a
-- time the key is known to live until (see save).
${declareState(layout)}
local HAS = false
local KEPT = NEVER
do
  local blob = redis.call('GET', KEYS[2])
  if blob then
    HAS = true
    if #blob ~= 8 * ${layout.size} then
      return redis.error_reply('BULWARK_STATE ' .. KEYS[2] .. ' holds a state that does not fit these limits')
    end
${indent(decodeState(layout), 4)}
    if ABSOLUTE then
${indent(restOf(layout), 6)}
      KEPT = ceil((rest + GRID) / GRID) * GRID
    end
  end
end

if OP == 'a' or OP == 'm' then
  local existed = HAS
  if not existed then
${indent(freshState(layout), 4)}
  end
${indent(costs, 2)}
  local DIRTY = false
  -- Core's admit: the earliest time every limit and both pauses let these costs through (the windows with a cost
  -- advanced to now first, as core's tryAdmit and fitAll do), admitted when that is now.
${indent(
  each(layout, (l) =>
    l.kind === 'window' ? `if ${l.cost} ~= 0 then\n${indent(windowAdvance(l, 'now'), 2)}\nend` : undefined,
  ),
  2,
)}
  local time, by = now, -2
  if ${pausedUntil} > time then
    time = ${pausedUntil}
    by = -1
  end
  local fit
${indent(
  each(
    layout,
    (l) => `if ${l.cost} ~= 0 then
${indent(l.kind === 'bucket' ? bucketFit(l, l.cost, 'now') : windowFit(l, l.cost, 'now'), 2)}
  if fit > time then
    time = fit
    by = ${l.index}
  end
end`,
  ),
  2,
)}
  if paused > time then
    time = paused
    by = -1
  end
  if time > now + EPS then
${layout.windows ? `    if existed and DIRTY then\n${indent(save(layout), 6)}\n    end\n` : ''}    return { 0, NOW, ${fmt('time - now')}, by }
  end
${indent(
  each(layout, (l) =>
    l.kind === 'bucket'
      ? `local m${l.index + 1}\n${bucketConsume(l, l.cost, 'now', `m${l.index + 1}`)}`
      : `local m${l.index + 1}\nif ${l.cost} == 0 then\n${indent(windowAdvance(l, 'now'), 2)}\nend\n${windowConsume(l, l.cost, 'now', `m${l.index + 1}`)}`,
  ),
  2,
)}
${indent(save(layout), 2)}
  if OP == 'm' then return { 1, NOW${layout.limits.map((l) => `, ${fmt(`m${l.index + 1}`)}`).join('')} } end
  return NOW
end

if OP == 'j' then
  -- ARGV: the deltas, the admission's time, its costs, its marks.
${indent(
  each(layout, (l) => `local d${l.index + 1} = ${arg(l.index)}`),
  2,
)}
  if not HAS then
    -- Nothing stored: only a charge has anything to do.
    if not (${layout.limits.map((l) => `d${l.index + 1} > 0`).join(' or ')}) then return NOW end
${indent(freshState(layout), 4)}
  end
  local refundable = ${arg(n)} >= ${since}
  local DIRTY = false
${indent(
  each(layout, (l) => {
    const d = `d${l.index + 1}`;
    return `if ${d} ~= 0 and ${d} == ${d} and ${d} ~= HUGE and ${d} ~= -HUGE and (${d} > 0 or refundable) then
  local mark, granted = ${arg(2 * n + 1 + l.index)}, ${arg(n + 1 + l.index)}
${indent(
  l.kind === 'bucket'
    ? bucketAdjust(l, d, 'mark', 'granted')
    : `${windowAdvance(l, 'now')}\n${windowAdjust(l, d, 'mark')}`,
  2,
)}
end`;
  }),
  2,
)}
${indent(save(layout), 2)}
  return NOW
end

if OP == 'p' then
  if not HAS then
${indent(freshState(layout), 4)}
  end
  ${pausedUntil} = max(${pausedUntil}, now + ${arg(0)})
${indent(save(layout), 2)}
  return NOW
end

if OP == 'r' then
  local reply = { NOW, ${fmt('paused')} }
  if HAS then
${
  locals === undefined
    ? `    for i = 1, SIZE do reply[i + 2] = ${fmt('S[i]')} end`
    : locals.map((v, i) => `    reply[${i + 3}] = ${fmt(v)}`).join('\n')
}
  end
  return reply
end

return redis.error_reply('BULWARK_OP unknown operation ' .. tostring(OP))`;
}

/** How long the scope's record of its intervals lives after a relimit (ms): a day. */
export const RELIMIT_RECORD_MS = 86_400_000;

/**
 * Core's MemoryRateLimitStore.relimit on every key of the scope: a bucket's backlog (its tat ahead of now) rescaled
 * by new interval / old interval, so it keeps its amount in units; windows keep their usage as it is. The old
 * intervals are the scope's record (KEYS[2], written by the last relimit of any process), else the caller's
 * (ARGV[ops + i], 0 when unknown: nothing to convert). The keys are found with SCAN over the scope's pattern
 * (ARGV[ops + n]) inside the script, so the conversion is one atomic step at one time; on a Cluster every key of
 * the scope sits in KEYS[1]'s slot (the hash tag), on the node the call is routed to. Each converted key gets the
 * expiry of its new rest time. The record then holds the new intervals, for RELIMIT_RECORD_MS, so that another
 * process changing to the same numbers converts nothing twice.
 */
function relimit(layout: Layout): string {
  const ops = layout.ops;
  const n = layout.limits.length;
  const buckets = layout.limits.filter((l) => l.kind === 'bucket');
  const locals = stateLocals(layout);
  const record = layout.limits.map((l) => (l.kind === 'bucket' ? `format('%.17g', ${l.interval})` : "'0'"));
  return `if OP == 'l' then
  local from = {}
  local recorded = redis.call('GET', KEYS[2])
  if recorded then
    for v in string.gmatch(recorded, '%S+') do from[#from + 1] = tonumber(v) or 0 end
  end
  if #from ~= ${n} then
    for i = 1, ${n} do from[i] = ARGV[${ops} + i - 1] * 1 end
  end
  local CONVERT = false
${indent(
  buckets
    .map(
      (l) => `local r${l.index + 1} = 1
if from[${l.index + 1}] > 0 and from[${l.index + 1}] ~= ${l.interval} then
  r${l.index + 1} = ${l.interval} / from[${l.index + 1}]
  CONVERT = true
end`,
    )
    .join('\n'),
  2,
)}
  if CONVERT then
    local cursor = '0'
    repeat
      local found = redis.call('SCAN', cursor, 'MATCH', ARGV[${ops + n}], 'COUNT', 1000)
      cursor = found[1]
      for _, key in ipairs(found[2]) do
        local blob = redis.call('GET', key)
        if blob and #blob == 8 * ${layout.size} then
${indent(locals === undefined ? 'local S' : `local ${locals.join(', ')}`, 10)}
${indent(decodeState(layout), 10)}
${indent(
  buckets
    .map(
      (l) =>
        `if r${l.index + 1} ~= 1 and ${l.tat} > now then ${l.tat} = now + (${l.tat} - now) * r${l.index + 1} end`,
    )
    .join('\n'),
  10,
)}
${indent(save(layout, 'key', 'NEVER'), 10)}
        end
      end
    until cursor == '0'
  end
  redis.call('SET', KEYS[2], ${record.join(" .. ' ' .. ")}, 'PX', ${RELIMIT_RECORD_MS})
  return NOW
end`;
}

/**
 * Sets \`ms\`, the TTL of a state at rest at \`at\`: a whole number of ms, passed as a number (Redis sends it as
 * '%.14g' before 7.0, exact below 1e14, and exactly since), so only a TTL beyond 3000 years needs formatting.
 */
function ttl(at: string): string {
  return `local ms = ceil(${at} - now) + MARGIN
if ms > MAX_TTL then ms = MAX_TTL end
if ms >= 1e14 then ms = format('%d', ms) end`;
}

/** Sets the local `rest` to when S comes to rest (core's restAt). */
function restOf(layout: Layout): string {
  return `local rest = ${layout.slot(1)}
${each(layout, (l) => (l.kind === 'bucket' ? bucketRest(l) : windowRest(l)))}`;
}

/**
 * Writes S to the key, to expire after its rest time (even when already at rest: a charge on an admission whose
 * usage was all refunded still counts until that admission's window ends, as in core's store). With ABSOLUTE, the
 * expiry is the rest time plus GRID, rounded up to a multiple of GRID (so 0.5 to 1 s after the rest), set with
 * PXAT; a key already known to live that long (KEPT: the expiry its loaded state was given, or for a key written
 * with a TTL of MARGIN past its rest, at least GRID - 1 ms past the new one) keeps its TTL (KEEPTTL): a busy
 * key's expiry is written about twice a second instead of on every call, which halves the cost of the SET.
 * Otherwise (tests, Redis before 7) the TTL is MARGIN past the rest time, from now.
 */
function save(layout: Layout, key = 'KEYS[2]', kept = 'KEPT'): string {
  return `do
${indent(restOf(layout), 2)}
  if now > rest then rest = now end
  local out
${indent(encodeState(layout), 2)}
  if ABSOLUTE then
    local at = ceil((rest + GRID) / GRID) * GRID
    if at <= ${kept} then
      redis.call('SET', ${key}, out, 'KEEPTTL')
    else
      if at - now > MAX_TTL then at = ceil(now) + MAX_TTL end
      if at >= 1e14 then at = format('%d', at) end
      redis.call('SET', ${key}, out, 'PXAT', at)
    end
  else
${indent(ttl('rest'), 4)}
    redis.call('SET', ${key}, out, 'PX', ms)
  end
end`;
}

function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}
