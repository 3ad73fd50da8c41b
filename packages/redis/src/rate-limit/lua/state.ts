/**
 * A key's state as Redis keeps it: one string of SIZE little-endian doubles (Lua's `struct`), so every number
 * comes back exactly as it was stored, at about half of MessagePack's cost (format 1). `decode` expects a string
 * of the right length (`load` checks it).
 *
 * struct moves at most CHUNK numbers per call: a C function's arguments and results sit on Lua's stack, which
 * holds 8000 at most, and a window of 1000 segments alone has 2005 numbers. Most states fit in one call.
 */
export const STATE = `
local CHUNK = 250
local HEAD = min(SIZE, CHUNK)
local HEAD_FORMAT = '<' .. string.rep('d', HEAD)
local unpack = unpack

local function decode(blob)
  local S = { struct.unpack(HEAD_FORMAT, blob) }
  -- struct.unpack's last result is the position after what it read.
  local pos = S[HEAD + 1]
  S[HEAD + 1] = nil
  local i = HEAD + 1
  while i <= SIZE do
    local n = min(CHUNK, SIZE - i + 1)
    local part = { struct.unpack('<' .. string.rep('d', n), blob, pos) }
    pos = part[n + 1]
    for j = 1, n do S[i + j - 1] = part[j] end
    i = i + n
  end
  return S
end

local function encode(S)
  if SIZE == HEAD then return struct.pack(HEAD_FORMAT, unpack(S, 1, SIZE)) end
  local parts = {}
  for i = 1, SIZE, CHUNK do
    local j = min(i + CHUNK - 1, SIZE)
    parts[#parts + 1] = struct.pack('<' .. string.rep('d', j - i + 1), unpack(S, i, j))
  end
  return table.concat(parts)
end
`;
