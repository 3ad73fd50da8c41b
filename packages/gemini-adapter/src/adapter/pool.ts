import { isGeminiFailure } from '../errors/failure.js';
import type { FailoverReason } from './events.js';
import type { ModelGuard } from './model-guard.js';
import type { Target } from './target.js';

/**
 * Why a call moves on to the next target of the pool for the same model: what belongs to one project or one key
 * (its quota, pauses, limits, breaker, credentials), not the model's own trouble.
 */
export type RetargetReason =
  | 'credentials'
  | 'rateLimited'
  | Extract<FailoverReason, 'dailyQuota' | 'exhaustedEarlier' | 'localLimit' | 'breakerOpen' | 'notFound'>;

const PER_TARGET: ReadonlySet<FailoverReason> = new Set([
  'dailyQuota',
  'exhaustedEarlier',
  'localLimit',
  'breakerOpen',
  'notFound',
]);

/**
 * Whether another target may answer where this one failed: credentials refused, a per-minute quota (429) left
 * after the retries or a pause too long to wait, a spent daily quota, a local limit, an open breaker, a model
 * this project does not have. Overload, server errors and empty answers are the model's, for every project:
 * they move on to the next fallback model instead.
 */
export function retargetReason(
  error: unknown,
  reason: FailoverReason | undefined,
): RetargetReason | undefined {
  if (isGeminiFailure(error)) {
    if (error.credentialsRefused) return 'credentials';
    if (error.kind === 'rateLimited') return 'rateLimited';
  }
  return reason !== undefined && PER_TARGET.has(reason) ? (reason as RetargetReason) : undefined;
}

/**
 * The usable targets (credentials not refused) for one model, least loaded first: those that would refuse
 * without a request (daily quota spent, breaker open) last; then by the time their project's pause has left,
 * the share of its RPM used over the last minute, its requests in flight, its requests over the last minute,
 * and their order in the pool.
 */
export function byLoad(
  targets: readonly Target[],
  guardOf: (target: Target) => ModelGuard,
  now: number,
): Target[] {
  const ranked: Array<{ target: Target; key: readonly number[] }> = [];
  for (const target of targets) {
    if (target.unusable !== undefined) continue;
    const guard = guardOf(target);
    ranked.push({
      target,
      key: [
        guard.blocked() ? 1 : 0,
        guard.pausedFor(),
        guard.usedShare(),
        guard.load.inFlight,
        guard.load.lastMinute(now),
        target.index,
      ],
    });
  }
  ranked.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i]! - b.key[i]!;
    return 0;
  });
  return ranked.map((entry) => entry.target);
}
