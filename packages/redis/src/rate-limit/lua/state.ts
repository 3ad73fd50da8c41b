import { each, type Layout } from './layout.js';

/**
 * A key's state as Redis keeps it: one string of SIZE little-endian doubles (Lua's `struct`), so every number
 * comes back exactly as it was stored. A state of buckets only has a size known when the script is written, and is
 * moved in one call with the numbers named; a window's size comes from its segments (ARGV), so its state is moved
 * in chunks: struct moves at most CHUNK numbers per call, since a C function's arguments and results sit on Lua's
 * stack, which holds 8000 at most, and a window of 1000 segments alone has 2005 numbers.
 */
const CHUNK = 250;

/** Sets S to a new key's state at now: no pause, every bucket full, every window empty. */
export function freshState(layout: Layout): string {
  if (!layout.windows) {
    return `S = { NEVER, now${layout.limits.map(() => ', NEVER, 0').join('')} }`;
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

/** Sets S from `blob`, a string of the right length. */
export function decodeState(layout: Layout): string {
  const size = layout.staticSize;
  if (size !== undefined) {
    return `S = { struct.unpack('<${'d'.repeat(size)}', blob) }
S[${size + 1}] = nil`;
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

/** Sets `out` to S as a string. */
export function encodeState(layout: Layout): string {
  const size = layout.staticSize;
  if (size !== undefined) {
    const values = Array.from({ length: size }, (_, i) => `S[${i + 1}]`).join(', ');
    return `out = struct.pack('<${'d'.repeat(size)}', ${values})`;
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
