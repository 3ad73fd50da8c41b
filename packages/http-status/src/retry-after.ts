import { parseHttpDate } from './http-date.js';

/**
 * Longest server delay hint accepted, by every Bulwark client (Retry-After and the other headers here, Gemini's
 * RetryInfo and "retry in" text in the adapter): 2^31 - 1 seconds (about 68 years), the delta-seconds ceiling of
 * RFC 9111. Anything longer is garbage (undefined). Anything up to it is the server's word, however long: a retry
 * then refuses to wait (the hint exceeds its `maxDelay`) rather than ignoring a server that asked for time.
 */
export const MAX_HINT_MS = 2_147_483_647_000;

const DELTA_SECONDS = /^\d{1,16}(?:\.\d{1,16})?$/;

/** A finite, non-negative delay no longer than MAX_HINT_MS, or undefined. Rounded up: never land early. */
export function boundedDelay(ms: number): number | undefined {
  if (!Number.isFinite(ms)) return undefined;
  if (ms <= 0) return 0;
  return ms > MAX_HINT_MS ? undefined : Math.ceil(ms);
}

/** The reference time: `now` when it is a usable number, else the wall clock. */
export function referenceTime(now: number | undefined): number {
  // Number.isFinite is false for anything but a number.
  return Number.isFinite(now) ? (now as number) : Date.now();
}

/**
 * Parses a Retry-After value into milliseconds: delta-seconds ("120"; a decimal fraction like "1.5" is accepted
 * leniently) or an HTTP-date in any of the three RFC 9110 formats, measured from `now` (default: the wall clock).
 * A date in the past gives 0. Garbage, negative, huge or non-finite values give undefined; it never throws.
 */
export function parseRetryAfter(value: unknown, now?: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (DELTA_SECONDS.test(text)) return boundedDelay(Number(text) * 1000);
  const reference = referenceTime(now);
  const date = parseHttpDate(text, reference);
  return date === undefined ? undefined : boundedDelay(date - reference);
}
