/** From HTTP status and google.rpc status to a failure kind. */
import { classify } from '@bulwark/http-status';
import type { GeminiFailureKind } from './failure.js';

const BY_RPC: Readonly<Record<string, GeminiFailureKind>> = {
  UNAVAILABLE: 'overloaded',
  DEADLINE_EXCEEDED: 'deadline',
  NOT_FOUND: 'notFound',
  INTERNAL: 'serverError',
  UNKNOWN: 'serverError',
  DATA_LOSS: 'serverError',
  // A CANCELLED the server sends is its own backend giving up (reason backendError, under load): the caller's
  // abort never reaches us as a response, it is an AbortError on the caller's signal.
  CANCELLED: 'serverError',
  INVALID_ARGUMENT: 'clientError',
  FAILED_PRECONDITION: 'clientError',
  OUT_OF_RANGE: 'clientError',
  UNAUTHENTICATED: 'clientError',
  PERMISSION_DENIED: 'clientError',
  ALREADY_EXISTS: 'clientError',
  ABORTED: 'clientError',
  UNIMPLEMENTED: 'clientError',
};

/**
 * What Gemini means by some HTTP statuses, finer than the general table: the statuses google.rpc codes map to
 * (UNAVAILABLE, DEADLINE_EXCEEDED, NOT_FOUND), and 499, which only the server side sends (a client that went
 * away reads no response): Gemini's backend giving up under load, a server-side failure, where the general table
 * sees a 4xx.
 */
const GEMINI_HTTP: ReadonlyMap<number, GeminiFailureKind> = new Map([
  [503, 'overloaded'],
  [504, 'deadline'],
  [408, 'deadline'],
  [404, 'notFound'],
  [499, 'serverError'],
]);

/**
 * The kind of a bare HTTP error status. Every fact about the status itself comes from @bulwark/http-status's
 * table (one table for every Bulwark client): an answer that counts against a breaker there (5xx but 501; 408) is
 * a server-side failure, a throttled one (429) a rate limit, any other (4xx, 501) the request's own fault. What
 * Gemini then does with each kind (retry, breaker, failover) is the adapter's decision table.
 */
function byHttp(status: number): GeminiFailureKind {
  const gemini = GEMINI_HTTP.get(status);
  if (gemini !== undefined) return gemini;
  if (!Number.isInteger(status) || status < 400 || status > 599) return 'unknown';
  const decision = classify(status);
  if (decision.kind === 'throttled') return 'rateLimited';
  return decision.breakerFailure ? 'serverError' : 'clientError';
}

/**
 * The kind of an HTTP error response. The rpc status, when the server sent one, is more precise than the HTTP
 * code (a proxy may have rewritten that); a quota (RESOURCE_EXHAUSTED, or a bare 429) splits on whether it is per
 * day.
 */
export function kindOfResponse(
  status: number | undefined,
  rpcStatus: string | undefined,
  dailyQuota: boolean,
): GeminiFailureKind {
  const kind =
    rpcStatus === 'RESOURCE_EXHAUSTED'
      ? 'rateLimited'
      : ((rpcStatus === undefined ? undefined : BY_RPC[rpcStatus]) ??
        (status === undefined ? 'unknown' : byHttp(status)));
  return kind === 'rateLimited' && dailyQuota ? 'dailyQuotaExhausted' : kind;
}
