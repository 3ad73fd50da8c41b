import type { RateLimitScope } from '@bulwark/core/store';

/**
 * The script is written for one shape of limits (their kinds, in order) and runs straight through, without a
 * single function: Redis runs a script's whole chunk on every call, so each `local function` would be a new
 * closure per call (about 2 µs for the ~20 a general script needs). Each limit's numbers are locals named after
 * it, and its code is emitted inline (bucket.ts, window.ts) wherever the operations need it.
 *
 * The numbers are written into the script as literals when it is written for one configuration (scripts.ts), or
 * come from ARGV for a script shared by every configuration of the shape. ARGV: op, then (shared script only) per
 * limit its numbers (a bucket: capacity, interval; a window: capacity, window, segments), then the op's own
 * arguments from ARGV[ops] (the test clock's time after them). KEYS[1] holds the scope's pause, KEYS[2] the key's
 * state.
 *
 * The state of a key (core's KeyState) is one flat array of numbers: [1] pausedUntil, [2] since, then per limit,
 * from its offset: a bucket's tat, refunded; a window's newest, head (0-based slot), total, counts[0..segments],
 * lasts[0..segments]. Redis keeps it as one string of little-endian doubles (state.ts). In Lua it is the table S
 * when a window makes its size depend on ARGV; a state of buckets only, whose size is known when the script is
 * written, is held in locals s1, s2, ... instead (no table to make per call).
 */
export type LimitKind = 'bucket' | 'window';

/** The numbers of the limits, in ARGV's order: a bucket's capacity and interval, a window's capacity, window, segments. */
export function limitNumbers(limits: RateLimitScope['limits']): number[] {
  const numbers: number[] = [];
  for (const l of limits) {
    if (l.kind === 'bucket') numbers.push(l.capacity, l.interval);
    else numbers.push(l.capacity, l.window, l.segments);
  }
  return numbers;
}

const MAX_BUCKETS_IN_LOCALS = 16;

/** One limit's Lua names: its numbers are locals, its offset in S a literal when every limit before is a bucket. */
export interface LuaLimit {
  readonly kind: LimitKind;
  /** 0-based, as the deciding limit is answered. */
  readonly index: number;
  /** Its offset in S (a literal or a local), its capacity, and (a bucket) interval. */
  readonly o: string;
  readonly cap: string;
  readonly interval: string;
  /** A window's span, segments, granule (span / segments), slots (segments + 1) and epsilon (1e-9 × capacity). */
  readonly window: string;
  readonly segments: string;
  readonly granule: string;
  readonly slots: string;
  readonly eps: string;
  /** The local holding this limit's cost in an acquire. */
  readonly cost: string;
  /** A bucket's tat and refunded in the state (a local or an element of S). */
  readonly tat: string;
  readonly refunded: string;
}

export interface Layout {
  readonly limits: readonly LuaLimit[];
  /** Whether a limit is a window (whose ring a refused acquire may have moved). */
  readonly windows: boolean;
  /** The state's length: a literal when it is held in locals, else the local SIZE. */
  readonly size: string;
  /** Whether the state is held in locals (a few buckets) rather than in the table S. */
  readonly inLocals: boolean;
  /** ARGV index of the op's first argument. */
  readonly ops: number;
  /** The locals that read the limits' numbers from ARGV (and compute offsets and SIZE). */
  readonly header: string;
  /** The state's numbers at 1-based static positions: a local, or an element of S. */
  slot(i: number): string;
}

/** The locals of a state held in locals (s1, s2, ...), or undefined when it is the table S. */
export function stateLocals(layout: Layout): string[] | undefined {
  return layout.inLocals
    ? Array.from({ length: Number(layout.size) }, (_, i) => layout.slot(i + 1))
    : undefined;
}

/**
 * The layout of a shape's script. `numbers` (per limit, as {@link limitNumbers} lists them) writes them into the
 * script as literals; without them they are read from ARGV.
 */
export function layoutOf(shape: readonly LimitKind[], numbers?: readonly number[]): Layout {
  const limits: LuaLimit[] = [];
  const header: string[] = [];
  // The next limit's first number: its index in `numbers`, or in ARGV (after the op).
  let next = numbers === undefined ? 2 : 0;
  const value = (i: number) => (numbers === undefined ? number(i) : luaLiteral(numbers[i]!));
  // The next offset: a number while only buckets came before, else a Lua expression.
  let offset: number | string = 3;
  const windows = shape.includes('window');
  // Lua allows 200 locals per function: many buckets go to the table too.
  const inLocals = !windows && shape.length <= MAX_BUCKETS_IN_LOCALS;
  const slot = (i: number | string) => (inLocals ? `s${i}` : `S[${i}]`);
  for (const [index, kind] of shape.entries()) {
    const n = index + 1;
    let o: string;
    if (typeof offset === 'number') o = String(offset);
    else {
      o = `o${n}`;
      header.push(`local ${o} = ${offset}`);
    }
    const limit: LuaLimit = {
      kind,
      index,
      o,
      cap: `c${n}`,
      interval: `v${n}`,
      window: `w${n}`,
      segments: `s${n}`,
      granule: `g${n}`,
      slots: `n${n}`,
      eps: `e${n}`,
      cost: `k${n}`,
      tat: slot(o),
      refunded: inLocals ? slot(Number(o) + 1) : `S[${o} + 1]`,
    };
    limits.push(limit);
    if (kind === 'bucket') {
      header.push(`local ${limit.cap}, ${limit.interval} = ${value(next)}, ${value(next + 1)}`);
      next += 2;
      offset = typeof offset === 'number' ? offset + 2 : `${o} + 2`;
    } else {
      header.push(
        `local ${limit.cap}, ${limit.window}, ${limit.segments} = ${value(next)}, ${value(next + 1)}, ${value(next + 2)}`,
        `local ${limit.granule}, ${limit.slots}, ${limit.eps} = ${limit.window} / ${limit.segments}, ${limit.segments} + 1, 1e-9 * max(${limit.cap}, 1)`,
      );
      next += 3;
      offset = `${o} + 3 + 2 * ${limit.slots}`;
    }
  }
  const size = typeof offset === 'number' ? String(offset - 1) : `${offset} - 1`;
  if (!inLocals) header.push(`local SIZE = ${size}`);
  return {
    limits,
    windows,
    size: inLocals ? size : 'SIZE',
    inLocals,
    ops: numbers === undefined ? next : 2,
    header: header.join('\n'),
    slot,
  };
}

/**
 * ARGV[i] as a number. The store sends numbers only, as JavaScript writes them; Lua's arithmetic reads such a
 * string as tonumber would (and `* 1` keeps every double, -0 included), at half the cost: tonumber is a call
 * that parses the string twice.
 */
export function number(i: number | string): string {
  return `ARGV[${i}] * 1`;
}

/**
 * A number as a Lua literal that reads back as the same double: JavaScript's shortest round-trip form, which Lua's
 * reader parses as ARGV's arithmetic does (the same strtod). Only finite numbers other than -0 are written so.
 */
export function luaLiteral(x: number): string {
  if (!writableAsLiteral(x)) throw new RangeError(`not a literal: ${x}`);
  return String(x);
}

export function writableAsLiteral(x: number): boolean {
  return Number.isFinite(x) && !Object.is(x, -0);
}

/** `f(limit)` for every limit, joined into lines. */
export function each(layout: Layout, f: (l: LuaLimit) => string | undefined): string {
  return layout.limits
    .map(f)
    .filter((s) => s !== undefined && s !== '')
    .join('\n');
}
