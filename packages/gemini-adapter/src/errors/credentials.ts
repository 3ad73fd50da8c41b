/**
 * Which refusals say the credentials (the key, its project, where it calls from) are refused rather than the
 * request: retrying them with the same key never helps, another key of another project may.
 */
import { typeOf } from './details.js';

/** ErrorInfo reasons of a key or project that is refused (invalid, expired, suspended, blocked, leaked). */
const KEY_REASONS: ReadonlySet<string> = new Set([
  'API_KEY_INVALID',
  'API_KEY_EXPIRED',
  'API_KEY_SERVICE_BLOCKED',
  'API_KEY_HTTP_REFERRER_BLOCKED',
  'API_KEY_IP_ADDRESS_BLOCKED',
  'API_KEY_ANDROID_APP_BLOCKED',
  'API_KEY_IOS_APP_BLOCKED',
  'CONSUMER_SUSPENDED',
  'CONSUMER_INVALID',
  'SERVICE_DISABLED',
  'BILLING_DISABLED',
  'ACCESS_TOKEN_EXPIRED',
  'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
]);

/** A 400 FAILED_PRECONDITION Gemini sends when the caller's region may not use the API. */
const REGION_TEXT = /user location is not supported/i;

/**
 * True when an error response refuses the credentials: HTTP 401 or 403 (UNAUTHENTICATED, PERMISSION_DENIED: an
 * invalid, revoked, suspended or leaked key, a project denied access), a 400 whose ErrorInfo names a refused key
 * (API_KEY_INVALID...), or the 400 "User location is not supported". Never a plain 400 INVALID_ARGUMENT, which is
 * the request's own fault.
 */
export function refusesCredentials(
  status: number | undefined,
  rpcStatus: string | undefined,
  details: readonly unknown[],
  text: string,
): boolean {
  if (status === 401 || status === 403) return true;
  if (rpcStatus === 'UNAUTHENTICATED' || rpcStatus === 'PERMISSION_DENIED') return true;
  for (const detail of details) {
    if (!typeOf(detail).endsWith('google.rpc.ErrorInfo')) continue;
    const reason = (detail as { reason?: unknown }).reason;
    if (typeof reason === 'string' && KEY_REASONS.has(reason)) return true;
  }
  return REGION_TEXT.test(text);
}
