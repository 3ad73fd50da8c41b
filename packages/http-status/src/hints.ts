import { type HeaderReader, type HeadersLike, headerReader } from './headers.js';
import { parseHttpDate } from './http-date.js';
import {
  chooseReset,
  parseRateLimitField,
  parseRemaining,
  parseResetValue,
  type ResetCandidate,
} from './rate-limit-headers.js';
import { boundedDelay, parseRetryAfter, referenceTime } from './retry-after.js';

/** A server's "try again after" hint and the header it came from. */
export interface DelayHint {
  /** Milliseconds to wait: finite, >= 0. */
  readonly delayMs: number;
  /** The (lower-cased) header that gave it. */
  readonly header: string;
}

/** Options of {@link readDelayHint}. */
export interface ReadDelayHintOptions {
  /**
   * The local time (epoch ms) dates and epochs are measured from when the response has no valid `Date` header.
   * Default: the wall clock.
   */
  readonly now?: number;
}

const NUMBER = /^\d{1,16}(?:\.\d{1,16})?$/;
const X_RESET = /^x-ratelimit-reset(.*)$/;

function retryAfterMs(headers: HeaderReader): number | undefined {
  const text = headers.get('retry-after-ms')?.trim();
  return text !== undefined && NUMBER.test(text) ? boundedDelay(Number(text)) : undefined;
}

function rateLimitField(headers: HeaderReader, reference: number): number | undefined {
  const value = headers.get('ratelimit');
  return value === undefined ? undefined : chooseReset(parseRateLimitField(value, reference));
}

function rateLimitReset(headers: HeaderReader, reference: number): number | undefined {
  const value = headers.get('ratelimit-reset');
  const delayMs = value === undefined ? undefined : parseResetValue(value, reference);
  if (delayMs === undefined) return undefined;
  return chooseReset([{ delayMs, remaining: parseRemaining(headers.get('ratelimit-remaining')) }]);
}

/** Every `x-ratelimit-reset<suffix>` header, paired with `x-ratelimit-remaining<suffix>` (or the plain one). */
function xRateLimitReset(headers: HeaderReader, reference: number): number | undefined {
  const candidates: ResetCandidate[] = [];
  for (const name of headers.names()) {
    const suffix = X_RESET.exec(name)?.[1];
    if (suffix === undefined) continue;
    const value = headers.get(name);
    const delayMs = value === undefined ? undefined : parseResetValue(value, reference);
    if (delayMs === undefined) continue;
    const remaining = headers.get(`x-ratelimit-remaining${suffix}`) ?? headers.get('x-ratelimit-remaining');
    candidates.push({ delayMs, remaining: parseRemaining(remaining) });
  }
  return chooseReset(candidates);
}

type Source = (headers: HeaderReader, reference: number) => number | undefined;

/** The documented order: the first header that yields a usable hint wins; a malformed one is skipped. */
const SOURCES: readonly (readonly [string, Source])[] = [
  ['retry-after-ms', retryAfterMs],
  ['retry-after', (h, reference) => parseRetryAfter(h.get('retry-after'), reference)],
  ['ratelimit', rateLimitField],
  ['ratelimit-reset', rateLimitReset],
  ['x-ratelimit-reset', xRateLimitReset],
];

/**
 * Reads a server's delay hint from response headers, in this order: `retry-after-ms`, `retry-after`, `RateLimit`,
 * `RateLimit-Reset`, then the `x-ratelimit-reset*` family. Dates and epochs are measured against the response's
 * own `Date` header when it has a valid one (so a skewed local clock does not shift the wait), else `now`.
 * Rate-limit windows that still have room (remaining > 0) give no hint. Never throws and never hangs: headers
 * or options it cannot read (a throwing getter or Proxy trap, a cyclic or endless value) give undefined.
 */
export function readDelayHint(
  headers: HeadersLike | null | undefined,
  options?: ReadDelayHintOptions,
): DelayHint | undefined {
  try {
    return readHint(headerReader(headers), referenceTime(options?.now));
  } catch {
    // The reader and parsers guard every read already; this keeps the promise if a future source forgets to.
    // A hint is read while handling a failure, where a throw would replace the real error.
    return undefined;
  }
}

function readHint(reader: HeaderReader, now: number): DelayHint | undefined {
  const reference = parseHttpDate(reader.get('date'), now) ?? now;
  for (const [header, source] of SOURCES) {
    const delayMs = source(reader, reference);
    if (delayMs !== undefined) return { delayMs, header };
  }
  return undefined;
}

/** Just the milliseconds of `readDelayHint`. */
export function delayHintMs(
  headers: HeadersLike | null | undefined,
  options?: ReadDelayHintOptions,
): number | undefined {
  return readDelayHint(headers, options)?.delayMs;
}
