import { each, type Layout, stateLocals } from './layout.js';

/**
 * A key's state as Redis keeps it: one string of SIZE little-endian doubles (Lua's `struct`), so every number
 * comes back exactly as it was stored. A state of buckets only has a size known when the script is written, and is
 * moved in one call with the numbers named; a window's size comes from its segments (ARGV), so its state is moved
 * in chunks: struct moves at most CHUNK numbers per call, since a C function's arguments and results sit on Lua's
 * stack, which holds 8000 at most, and a window of 1000 segments alone has 2005 numbers.
 */
const CHUNK = 250;

/** Declares the state: the locals of a state of buckets, or S. */
export function declareState(layout: Layout): string {
  return `local ${stateLocals(layout)?.join(', ') ?? 'S'}`;
}

/** Sets the state to a new key's at now: no pause, every bucket full, every window empty. */
export function freshState(layout: Layout): string {
  const locals = stateLocals(layout);
  if (locals !== undefined) {
    return `${locals.join(', ')} = NEVER, now${layout.limits.map(() => ', NEVER, 0').join('')}`;
  }
  return `S = { NEVER, now }
${each(layout, (l) =>
  l.kind === 'bucket'
    ? `S[${l.o}] = NEVER
S[${l.o} + 1] = 0`
    : `S[${l.o}] = NEVER
S[${l.o} + 1] = 0
S[${l.o} + 2] = 0
do
  local c, u = ${l.o} + 3, ${l.o} + 3 + ${l.slots}
  for j = 0, ${l.slots} - 1 do
    S[c + j] = 0
    S[u + j] = NEVER
  end
end`,
)}`;
}

/** Sets the state from `blob`, a string of the right length. */
export function decodeState(layout: Layout): string {
  const locals = stateLocals(layout);
  if (locals !== undefined) {
    // struct.unpack's last result, the position after what it read, has no local to go to.
    return `${locals.join(', ')} = struct.unpack('<${'d'.repeat(locals.length)}', blob)`;
  }
  return `do
  local head = min(SIZE, ${CHUNK})
  S = { struct.unpack('<' .. string.rep('d', head), blob) }
  -- struct.unpack's last result is the position after what it read.
  local pos = S[head + 1]
  S[head + 1] = nil
  local i = head + 1
  while i <= SIZE do
    local n = min(${CHUNK}, SIZE - i + 1)
    local part = { struct.unpack('<' .. string.rep('d', n), blob, pos) }
    pos = part[n + 1]
    for j = 1, n do S[i + j - 1] = part[j] end
    i = i + n
  end
end`;
}

/** Sets `out` to the state as a string. */
export function encodeState(layout: Layout): string {
  const locals = stateLocals(layout);
  if (locals !== undefined) {
    return `out = struct.pack('<${'d'.repeat(locals.length)}', ${locals.join(', ')})`;
  }
  return `if SIZE <= ${CHUNK} then
  out = struct.pack('<' .. string.rep('d', SIZE), unpack(S, 1, SIZE))
else
  local parts = {}
  for i = 1, SIZE, ${CHUNK} do
    local j = min(i + ${CHUNK} - 1, SIZE)
    parts[#parts + 1] = struct.pack('<' .. string.rep('d', j - i + 1), unpack(S, i, j))
  end
  out = table.concat(parts)
end`;
}
