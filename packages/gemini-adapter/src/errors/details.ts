/** Reading google.rpc error details: RetryInfo delays and QuotaFailure violations. */
import { MAX_HINT_MS } from '@bulwark/http-status';

/**
 * A delay the server asked for, or undefined for nonsense: negative, non-finite or longer than MAX_HINT_MS, the
 * one cap every Bulwark client applies to server hints (see @bulwark/http-status).
 */
function finiteDelay(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_HINT_MS ? ms : undefined;
}

/**
 * A protobuf Duration in ms: the JSON form ("34.4s", "48s", "45.837906927s") or the object form
 * ({ seconds, nanos }). Undefined for anything else.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?|\.\d+)s\s*$/.exec(value);
    return match === null ? undefined : finiteDelay(Math.round(Number(match[1]) * 1_000_000) / 1000);
  }
  if (typeof value === 'object' && value !== null) {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const s = typeof seconds === 'string' || typeof seconds === 'number' ? Number(seconds) : 0;
    const n = typeof nanos === 'number' ? nanos : 0;
    if (seconds === undefined && nanos === undefined) return undefined;
    if (!Number.isFinite(s) || !Number.isFinite(n) || s < 0 || n < 0) return undefined;
    return finiteDelay(s * 1000 + n / 1_000_000);
  }
  return undefined;
}

export function typeOf(detail: unknown): string {
  const type = (detail as { '@type'?: unknown } | null)?.['@type'];
  return typeof type === 'string' ? type : '';
}

/** The RetryInfo delay of a details list, in ms. */
export function retryInfoDelay(details: readonly unknown[]): number | undefined {
  for (const detail of details) {
    if (typeOf(detail).endsWith('google.rpc.RetryInfo')) {
      const delay = parseDuration((detail as { retryDelay?: unknown }).retryDelay);
      if (delay !== undefined) return delay;
    }
  }
  return undefined;
}

/** Milliseconds per unit of a Go duration ("58.217843437s", "373.801628ms", "1m2.5s"). */
const GO_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
/** One number-and-unit part of a Go duration; `ms` before `m` and `s` so the longer unit wins. */
const GO_PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|μs|ms|h|m|s)/g;
/** "retry in <Go duration>", the duration ending at a word boundary ("Please retry in 34.4s."). */
const RETRY_IN_GO = /[Rr]etry in\s+((?:(?:\d+(?:\.\d+)?|\.\d+)(?:ns|us|µs|μs|ms|h|m|s))+)(?![\p{L}\p{N}])/u;
const RETRY_IN_SECONDS = /[Rr]etry in\s+(\d+(?:\.\d+)?)\s*seconds?\b/;

/** A Go duration string (how Gemini writes delays in its messages) in ms; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let total = 0;
  let end = 0;
  for (const part of text.matchAll(GO_PART)) {
    if (part.index !== end) return undefined;
    end += part[0].length;
    total += Number(part[1]) * GO_UNITS[part[2]!]!;
  }
  if (end === 0 || end !== text.length) return undefined;
  // To the nanosecond, as written: no binary-fraction noise (0.1 + 0.2) in a delay.
  return finiteDelay(Math.round(total * 1_000_000) / 1_000_000);
}

/**
 * The "Please retry in 48.805646254s." hint of a 429's text, in ms. Gemini writes it as a Go duration, more
 * precisely than its RetryInfo ("48s"): "373.801628ms" below a second, "1m2.5s" above a minute.
 */
export function retryDelayFromText(message: string): number | undefined {
  const go = RETRY_IN_GO.exec(message);
  if (go !== null) return parseGoDuration(go[1]!);
  const seconds = RETRY_IN_SECONDS.exec(message);
  return seconds === null ? undefined : finiteDelay(Math.round(Number(seconds[1]) * 1_000_000) / 1000);
}

/**
 * The server's delay, from RetryInfo and from the text: the later of the two. RetryInfo is whole seconds
 * (truncated: "58s", even "0s" with 0.6 s left) while the text carries the real delay ("58.217843437s"); the
 * later one is the more precise, and never sends a retry before the server is ready for it.
 */
export function serverDelay(retryInfoMs: number | undefined, textMs: number | undefined): number | undefined {
  if (retryInfoMs === undefined) return textMs;
  if (textMs === undefined) return retryInfoMs;
  return Math.max(retryInfoMs, textMs);
}

export interface QuotaViolation {
  readonly quotaId: string | undefined;
  readonly quotaMetric: string | undefined;
  readonly quotaValue: number | undefined;
  readonly model: string | undefined;
  readonly perDay: boolean;
}

const PER_DAY = /per\s*day|perday|daily/i;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The QuotaFailure violation that matters most: a per-day one when present (it changes the decision). */
export function quotaViolation(details: readonly unknown[]): QuotaViolation | undefined {
  let found: QuotaViolation | undefined;
  for (const detail of details) {
    if (!typeOf(detail).endsWith('google.rpc.QuotaFailure')) continue;
    const violations = (detail as { violations?: unknown }).violations;
    if (!Array.isArray(violations)) continue;
    for (const v of violations) {
      if (typeof v !== 'object' || v === null) continue;
      const raw = v as Record<string, unknown>;
      const quotaId = str(raw.quotaId);
      const quotaMetric = str(raw.quotaMetric);
      const dimensions = raw.quotaDimensions as Record<string, unknown> | undefined;
      const value = Number(raw.quotaValue);
      const violation: QuotaViolation = {
        quotaId,
        quotaMetric,
        quotaValue: raw.quotaValue !== undefined && Number.isFinite(value) ? value : undefined,
        model: str(typeof dimensions === 'object' && dimensions !== null ? dimensions.model : undefined),
        perDay: PER_DAY.test(quotaId ?? '') || PER_DAY.test(quotaMetric ?? ''),
      };
      if (violation.perDay) return violation;
      found ??= violation;
    }
  }
  return found;
}

/** "limit: 0" in a quota message: the project has no quota at all for that metric and model. */
const ZERO_LIMIT = /\blimit:\s*0(?![\d.])/;

/**
 * Whether a 429 says the project has no quota at all (QuotaFailure `quotaValue` "0", or "limit: 0" in the text):
 * unlike a spent quota, it never comes back by waiting, neither the minute nor the day.
 */
export function isZeroQuota(details: readonly unknown[], message: string): boolean {
  if (ZERO_LIMIT.test(message)) return true;
  for (const detail of details) {
    if (!typeOf(detail).endsWith('google.rpc.QuotaFailure')) continue;
    const violations = (detail as { violations?: unknown }).violations;
    if (!Array.isArray(violations)) continue;
    for (const v of violations) {
      const value =
        typeof v === 'object' && v !== null ? (v as { quotaValue?: unknown }).quotaValue : undefined;
      if ((typeof value === 'string' || typeof value === 'number') && value !== '' && Number(value) === 0) {
        return true;
      }
    }
  }
  return false;
}

/** Whether a quota message speaks of a daily limit ("...requests per day..."), for bodies without details. */
export function mentionsDailyQuota(message: string): boolean {
  return PER_DAY.test(message);
}

/** The model a message names: "model: gemini-2.5-pro" (quota text) or "models/gemini-x is not found". */
export function modelFromText(message: string): string | undefined {
  const match = /\bmodel:\s*([\w.-]+)/.exec(message) ?? /\bmodels\/([\w.-]+)/.exec(message);
  return match?.[1];
}
