/**
 * HTTP-date (RFC 9110 section 5.6.7) in the three formats a recipient must accept:
 *   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
 *   RFC 850      Sunday, 06-Nov-94 08:49:37 GMT
 *   asctime      Sun Nov  6 08:49:37 1994
 * Names are matched case-insensitively (lenient); everything else is strict, and impossible dates (Feb 30,
 * hour 24) are rejected rather than rolled over.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

const IMF_FIXDATE = /* @__PURE__ */ new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC_850 = /* @__PURE__ */ new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME = /* @__PURE__ */ new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/** Epoch ms of a valid calendar time, or undefined when a field is out of range. */
function toEpoch(year: number, month: string, day: number, hh: number, mm: number, ss: number) {
  // The patterns admit only the twelve month names, so the index is always found.
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (hh > 23 || mm > 59 || ss > 60) return undefined;
  const date = new Date(Date.UTC(year, monthIndex, day, hh, mm, Math.min(ss, 59)));
  // Date.UTC maps years 0..99 to 1900..1999; set the year again so 4-digit years stay literal.
  date.setUTCFullYear(year, monthIndex, day);
  // Day 0 or a day past the month's end rolls into another month, on another day of it.
  if (date.getUTCDate() !== day) return undefined;
  // Second 60 (a leap second, allowed by the grammar) is read as the start of the next minute.
  return date.getTime() + (ss === 60 ? 1000 : 0);
}

/**
 * RFC 9110: a two-digit year that appears to be more than 50 years in the future means the most recent past
 * year with the same last two digits. So: the latest candidate century that is at most 50 years ahead of now.
 */
function rfc850Epoch(
  yy: number,
  month: string,
  day: number,
  hh: number,
  mm: number,
  ss: number,
  now: number,
) {
  const reference = new Date(Number.isFinite(now) ? now : Date.now());
  const limit = new Date(reference.getTime());
  limit.setUTCFullYear(reference.getUTCFullYear() + 50);
  const base = reference.getUTCFullYear() - (reference.getUTCFullYear() % 100) + yy;
  for (const year of [base + 100, base, base - 100]) {
    const epoch = toEpoch(year, month, day, hh, mm, ss);
    // Feb 29 exists in some candidate centuries only.
    if (epoch !== undefined && epoch <= limit.getTime()) return epoch;
  }
  return undefined;
}

/**
 * Parses an HTTP-date into epoch milliseconds. `now` only matters for the two-digit years of the RFC 850 format.
 * Anything else (other date styles, garbage, impossible dates) gives undefined.
 */
export function parseHttpDate(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const text = value.trim();
  let m = IMF_FIXDATE.exec(text);
  if (m) return toEpoch(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = RFC_850.exec(text);
  if (m) return rfc850Epoch(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!, now);
  m = ASCTIME.exec(text);
  if (m) return toEpoch(+m[6]!, m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!);
  return undefined;
}
