/** Longest part of a string value quoted in a message: a hostile value must not make a huge error. */
const MAX_QUOTED = 64;

/** A value as a message shows it: strings quoted (cut at 64 characters), objects by kind only. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}...` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  // A function, a symbol or a bigint reads 'a function', 'a symbol', 'a bigint'.
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
