/** From HTTP status and google.rpc status to a failure kind. */
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

function byHttp(status: number): GeminiFailureKind {
  if (status === 503) return 'overloaded';
  if (status === 504 || status === 408) return 'deadline';
  if (status === 404) return 'notFound';
  if (status === 501) return 'clientError';
  // 499 (CANCELLED) can only come from the server side: a client that went away reads no response.
  if (status === 499) return 'serverError';
  if (status >= 500 && status <= 599) return 'serverError';
  if (status >= 400 && status <= 499) return 'clientError';
  return 'unknown';
}

/**
 * The kind of an HTTP error response. The rpc status, when the server sent one, is more precise than the HTTP
 * code (a proxy may have rewritten that); 429 / RESOURCE_EXHAUSTED splits on whether the quota is per day.
 */
export function kindOfResponse(
  status: number | undefined,
  rpcStatus: string | undefined,
  dailyQuota: boolean,
): GeminiFailureKind {
  if (rpcStatus === 'RESOURCE_EXHAUSTED' || (rpcStatus === undefined && status === 429)) {
    return dailyQuota ? 'dailyQuotaExhausted' : 'rateLimited';
  }
  const byRpc = rpcStatus === undefined ? undefined : BY_RPC[rpcStatus];
  if (byRpc !== undefined) return byRpc;
  return status === undefined ? 'unknown' : byHttp(status);
}
