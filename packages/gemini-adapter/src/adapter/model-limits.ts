import { type RateLimit, slidingWindow } from '@bulwark/core';
import { nextPacificMidnight } from '../internal/pacific-day.js';
import type { ModelLimits } from './options.js';

/**
 * A model's limits as rate limits a store can hold (the in-memory one of each client, or one shared by a fleet):
 * RPM and TPM as one-minute sliding windows, RPD and TPD as sliding windows taking turns per Pacific day, and, in
 * a shared store when nothing else is limited, a limit that only carries the pauses 429s impose.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The API's daily quota resets at midnight Pacific, which no sliding window does: day n counts on window
 * n mod DAY_WINDOWS, and only day n's requests ever land in it. A request counts for DAY_WINDOW after the last one
 * of its day at the latest, so the window must hold a whole day (25 h on the day the clocks go back) and have
 * forgotten it when its turn comes again, two days later (46 h after the day's end at the least): 40 h leaves
 * hours either way for clocks that disagree.
 */
const DAY_WINDOWS = 3;
const DAY_WINDOW = 40 * HOUR;
const DAY_SEGMENTS = 20;

/**
 * The longest a call queues for a limit, whatever `maxQueueWait` says: a spent day window frees capacity 15 h
 * later at the soonest (DAY_WINDOW less the longest day), so it is always refused at once, and the refusal says
 * the quota is spent (see ModelGuard.refusal).
 */
export const MAX_LIMIT_WAIT = 12 * HOUR;

/** The names of the limits, as a RateLimitedError reports the one that refused. */
export const LIMIT_NAMES = { rpm: 'rpm', tpm: 'tpm', rpd: 'rpd', tpd: 'tpd', pauses: 'pauses' } as const;

/** The unit of day `n`'s request window; a call's cost names only today's, so the other windows take nothing. */
const DAY_UNITS = /* @__PURE__ */ Array.from({ length: DAY_WINDOWS }, (_, i) => `requests-day-${i}`);
/** The unit of day `n`'s input-token window (TPD), taking turns like the request windows. */
const TOKEN_DAY_UNITS = /* @__PURE__ */ Array.from({ length: DAY_WINDOWS }, (_, i) => `tokens-day-${i}`);
const TOKEN_DAY_UNIT_SET: ReadonlySet<string> = /* @__PURE__ */ new Set(TOKEN_DAY_UNITS);

/** Day windows of one unit family, limit `limit` each. */
function dayWindows(units: readonly string[], limit: number, name: string): RateLimit[] {
  return units.map((unit) =>
    slidingWindow({ limit, window: DAY_WINDOW, segments: DAY_SEGMENTS, unit, name }),
  );
}

/**
 * The limits of one model. `shared`: a store shared by several clients holds them, and needs a scope for the
 * pauses even when nothing else is limited (a limit every call takes 0 from: it admits everybody, unless paused).
 */
export function modelLimits(limits: ModelLimits, shared: boolean): RateLimit[] {
  const list: RateLimit[] = [];
  if (limits.rpm !== undefined) {
    list.push(slidingWindow({ limit: limits.rpm, window: MINUTE, unit: 'calls', name: LIMIT_NAMES.rpm }));
  }
  if (limits.tpm !== undefined) {
    list.push(slidingWindow({ limit: limits.tpm, window: MINUTE, unit: 'tokens', name: LIMIT_NAMES.tpm }));
  }
  if (limits.rpd !== undefined) list.push(...dayWindows(DAY_UNITS, limits.rpd, LIMIT_NAMES.rpd));
  if (limits.tpd !== undefined) list.push(...dayWindows(TOKEN_DAY_UNITS, limits.tpd, LIMIT_NAMES.tpd));
  if (list.length === 0 && shared) {
    list.push(slidingWindow({ limit: 1, window: 1_000, unit: 'pauses', name: LIMIT_NAMES.pauses }));
  }
  return list;
}

/**
 * Today's window, by the caller's clock (every process computes the same one; clocks that disagree only matter
 * within minutes of midnight). The day is looked up once and kept until it ends.
 */
export class PacificDays {
  private checkedAt = Number.POSITIVE_INFINITY;
  private end = Number.NEGATIVE_INFINITY;
  private index = 0;

  /** Today's request-window unit (RPD). */
  unitAt(now: number): string {
    return DAY_UNITS[this.indexAt(now)]!;
  }

  /** Today's input-token-window unit (TPD). */
  tokenUnitAt(now: number): string {
    return TOKEN_DAY_UNITS[this.indexAt(now)]!;
  }

  private indexAt(now: number): number {
    if (now >= this.end || now < this.checkedAt) {
      this.end = nextPacificMidnight(now);
      this.checkedAt = now;
      // Pacific midnights fall at 07:00 or 08:00 UTC: consecutive ones lie in consecutive UTC days.
      this.index = Math.floor(this.end / DAY) % DAY_WINDOWS;
    }
    return this.index;
  }
}

/**
 * An admitted attempt's cost with its input tokens corrected to what the server counted: the TPM units and
 * today's TPD window alike (the rest of the cost stands).
 */
export function withActualTokens(
  cost: Readonly<Record<string, number>>,
  tokens: number,
): Record<string, number> {
  const actual: Record<string, number> = { ...cost, tokens };
  for (const unit of Object.keys(cost)) if (TOKEN_DAY_UNIT_SET.has(unit)) actual[unit] = tokens;
  return actual;
}
