/** Gemini's per-day quotas reset at midnight Pacific time; this finds the next such midnight. */

const DAY = 86_400_000;
const HOUR = 3_600_000;

const pacific = /* @__PURE__ */ new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Los_Angeles',
  hourCycle: 'h23',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

/** Milliseconds since the last midnight in Los Angeles. */
function sincePacificMidnight(time: number): number {
  let h = 0;
  let m = 0;
  let s = 0;
  for (const part of pacific.formatToParts(new Date(time))) {
    if (part.type === 'hour') h = Number(part.value);
    else if (part.type === 'minute') m = Number(part.value);
    else if (part.type === 'second') s = Number(part.value);
  }
  return ((h * 60 + m) * 60 + s) * 1000 + (((time % 1000) + 1000) % 1000);
}

/** The first midnight Pacific strictly after `now` (DST-change days are 23 or 25 hours long). */
export function nextPacificMidnight(now: number): number {
  let candidate = now - sincePacificMidnight(now) + DAY;
  // A DST change in between shifts local midnight by an hour either way.
  const off = sincePacificMidnight(candidate);
  if (off !== 0) candidate += off > 12 * HOUR ? DAY - off : -off;
  return candidate <= now ? candidate + DAY : candidate;
}
