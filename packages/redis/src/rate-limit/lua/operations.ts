import { bucketAdjust, bucketConsume, bucketFit, bucketRest } from './bucket.js';
import { each, type Layout } from './layout.js';
import { decodeState, encodeState, freshState } from './state.js';
import { windowAdjust, windowAdvance, windowConsume, windowFit, windowRest } from './window.js';

/**
 * The four operations of the store contract, dispatched on ARGV[1]: 'a' acquire, 'm' acquire that answers the
 * marks too (formatting them costs, and most calls do not ask for them), 'j' adjust, 'p' pause, 'r' read.
 * Everything is computed before the first write, so a script never stops half-way with some keys written (Redis
 * does not roll a script back). A key's TTL is the time until its state is at rest (usage expired, pause over)
 * plus a margin (MARGIN, 1 s), after which Redis drops it: an idle key costs nothing.
 *
 * Replies: an admission without marks is NOW alone; with marks { 1, NOW, marks... }; a refusal { 0, NOW, wait,
 * the 0-based deciding limit or -1 for a pause }; a reading { NOW, the scope's pause, S... }; adjust and pause NOW.
 */
export function operations(layout: Layout): string {
  const ops = layout.ops;
  const n = layout.limits.length;
  const arg = (i: number) => `tonumber(ARGV[${ops + i}])`;
  const costs = each(layout, (l) => `local ${l.cost} = ${arg(l.index)}`);
  const fmt = (x: string) => `format('%.17g', ${x})`;
  return `local paused = tonumber(redis.call('GET', KEYS[1]) or '') or NEVER

if OP == 'p' and ARGV[${ops + 1}] == '0' then
  local until_ = now + ${arg(0)}
  if until_ > paused and until_ > now then
${indent(ttl('until_'), 4)}
    redis.call('SET', KEYS[1], ${fmt('until_')}, 'PX', ms)
  end
  return NOW
end

-- The key's state, or nil; an error reply when what is stored does not fit these limits.
local S
do
  local blob = redis.call('GET', KEYS[2])
  if blob then
    if #blob ~= 8 * ${layout.size} then
      return redis.error_reply('BULWARK_STATE ' .. KEYS[2] .. ' holds a state that does not fit these limits')
    end
${indent(decodeState(layout), 4)}
  end
end

if OP == 'a' or OP == 'm' then
  local existed = S ~= nil
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
  if S[1] > time then
    time = S[1]
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
  if not S then
    -- Nothing stored: only a charge has anything to do.
    if not (${layout.limits.map((l) => `d${l.index + 1} > 0`).join(' or ')}) then return NOW end
${indent(freshState(layout), 4)}
  end
  local refundable = ${arg(n)} >= S[2]
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
  if not S then
${indent(freshState(layout), 4)}
  end
  S[1] = max(S[1], now + ${arg(0)})
${indent(save(layout), 2)}
  return NOW
end

if OP == 'r' then
  local reply = { NOW, ${fmt('paused')} }
  if S then
    for i = 1, ${layout.size} do reply[i + 2] = ${fmt('S[i]')} end
  end
  return reply
end

return redis.error_reply('BULWARK_OP unknown operation ' .. tostring(OP))`;
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

/**
 * Writes S to the key, kept MARGIN ms past its rest time, even when already at rest: a charge on an admission
 * whose usage was all refunded still counts until that admission's window ends, as in core's store.
 */
function save(layout: Layout): string {
  return `do
  local rest = S[1]
${indent(
  each(layout, (l) => (l.kind === 'bucket' ? bucketRest(l) : windowRest(l))),
  2,
)}
  if now > rest then rest = now end
${indent(ttl('rest'), 2)}
  local out
${indent(encodeState(layout), 2)}
  redis.call('SET', KEYS[2], out, 'PX', ms)
end`;
}

function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}
