import { parseHttpDate } from './http-date.js';
import { boundedDelay } from './retry-after.js';

/**
 * Reset values of rate-limit headers, as APIs really send them: delta seconds ("30", "1.5"), epoch seconds
 * (GitHub), epoch milliseconds, Go-style durations (OpenAI: "6m0s", "20ms"), ISO 8601 or HTTP dates.
 *
 * Seconds and epochs are told apart by size: a delta of 10^9 seconds (31 years) is never meant, while every epoch
 * in seconds since 2001-09-09 is at least 10^9 (and in milliseconds at least 10^12).
 */

const NUMBER = /^\d{1,16}(?:\.\d{1,16})?$/;
const INTEGER = /^\d{1,16}$/;
const DURATION = /^(?:\d{1,16}(?:\.\d{1,16})?(?:h|m|s|ms|us|µs|ns))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

const EPOCH_SECONDS = 1e9;
const EPOCH_MS = 1e12;
const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

/** Milliseconds until a rate-limit window resets, measured from `reference`; undefined when unreadable. */
export function parseResetValue(value: string, reference: number): number | undefined {
  const text = value.trim();
  if (NUMBER.test(text)) {
    const n = Number(text);
    if (n >= EPOCH_MS) return boundedDelay(n - reference);
    if (n >= EPOCH_SECONDS) return boundedDelay(n * 1000 - reference);
    return boundedDelay(n * 1000);
  }
  if (text.length <= 64 && DURATION.test(text)) {
    let total = 0;
    for (const [, amount, unit] of text.matchAll(DURATION_PART)) total += Number(amount) * UNIT_MS[unit!]!;
    return boundedDelay(total);
  }
  if (ISO_DATE.test(text)) {
    const date = Date.parse(text);
    return Number.isNaN(date) ? undefined : boundedDelay(date - reference);
  }
  const date = parseHttpDate(text, reference);
  return date === undefined ? undefined : boundedDelay(date - reference);
}

/** A window's reset and, when the server said, how many calls it still allows. */
export interface ResetCandidate {
  readonly delayMs: number;
  readonly remaining: number | undefined;
}

export function parseRemaining(value: string | undefined): number | undefined {
  const text = value?.trim();
  return text !== undefined && INTEGER.test(text) ? Number(text) : undefined;
}

/**
 * The wait a set of windows implies: the latest reset among the exhausted ones (remaining 0); with no
 * remaining counts at all, the latest reset (the safe side); when every window still has room, none.
 */
export function chooseReset(candidates: readonly ResetCandidate[]): number | undefined {
  let exhausted: number | undefined;
  let unknown: number | undefined;
  for (const { delayMs, remaining } of candidates) {
    if (remaining === 0) exhausted = Math.max(exhausted ?? 0, delayMs);
    else if (remaining === undefined) unknown = Math.max(unknown ?? 0, delayMs);
  }
  return exhausted ?? unknown;
}

/** Splits on `separator` outside double-quoted strings (structured-field strings may hold it). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** A `key=value` pair, the key trimmed and lower-cased; the value as is (its readers trim it). */
function keyValue(part: string): [string, string] | undefined {
  const eq = part.indexOf('=');
  return eq <= 0 ? undefined : [part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1)];
}

/**
 * The IETF `RateLimit` header, in both draft shapes:
 *   dictionary (drafts 05-07):  limit=100, remaining=0, reset=30
 *   list of policies (08+):     "default";r=0;t=30, "daily";r=50;t=3600
 */
export function parseRateLimitField(value: string, reference: number): ResetCandidate[] {
  if (value.length > 4096) return [];
  const candidates: ResetCandidate[] = [];
  const dictionary = new Map<string, string>();
  for (const member of splitOutsideQuotes(value, ',')) {
    const [head = '', ...params] = splitOutsideQuotes(member, ';');
    const pair = head.startsWith('"') ? undefined : keyValue(head);
    if (pair) {
      dictionary.set(pair[0], pair[1]);
      continue;
    }
    const parameters = new Map(params.map(keyValue).filter((p): p is [string, string] => p !== undefined));
    const reset = parameters.get('t');
    const delayMs = reset === undefined ? undefined : parseResetValue(reset, reference);
    if (delayMs !== undefined) candidates.push({ delayMs, remaining: parseRemaining(parameters.get('r')) });
  }
  const reset = dictionary.get('reset');
  const delayMs = reset === undefined ? undefined : parseResetValue(reset, reference);
  if (delayMs !== undefined)
    candidates.push({ delayMs, remaining: parseRemaining(dictionary.get('remaining')) });
  return candidates;
}
