import { isTimeoutError } from '@bulwark/core';
import { messageOnlyNetworkCode } from './runtime-network-errors.js';

/**
 * Network failures as Node's clients report them:
 * - fetch (undici): TypeError('fetch failed') with `cause.code` (ECONNREFUSED, UND_ERR_SOCKET...), sometimes an
 *   AggregateError cause (happy eyeballs) carrying the code; TypeError('terminated') when a body is cut off.
 * - node:http and the libraries on top of it (got, axios): an Error with `code` set ('socket hang up' is
 *   ECONNRESET); undici.request: UND_ERR_* codes.
 * - node-fetch: FetchError 'Invalid response body while trying to fetch <url>: Premature close' with code
 *   ERR_STREAM_PREMATURE_CLOSE when the connection closes in the middle of a body (Node streams use that code too).
 * - SDKs that rethrow fetch's TypeError as their own error and drop its cause, such as the deprecated
 *   @google/generative-ai: '[GoogleGenerativeAI Error]: Error fetching from <url>: fetch failed'.
 * Deno's, browsers' and workerd's fetch failures carry no code: runtime-network-errors.ts reads their messages.
 */

/** Codes that mean the request never reached the server (no connection, no address): repeating it is safe. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Codes that mean "the connection failed this time": retrying may work. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  ...NOT_SENT_CODES,
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  // A body shorter or longer than its content-length: cut in transit.
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  // axios in a browser: the request never got an answer.
  'ERR_NETWORK',
  // node-fetch and Node streams: the connection closed before the body ended.
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * A wrapper's message around fetch's own network failure (Node's 'fetch failed'; browsers' 'Failed to fetch',
 * 'Load failed', 'NetworkError when attempting to fetch resource.'), as the deprecated Gemini SDK (and Firebase's)
 * words it. Only read when the error carries no cause to decide by: its code is lost with the cause.
 */
const WRAPPED_FETCH_FAILURE =
  /\bError fetching from \S+: (?:fetch failed|Failed to fetch|Load failed|NetworkError when attempting to fetch resource\.?)$/;

/** How deep to follow `cause` chains: real ones are 1-3 levels; a cycle must not hang us. */
const MAX_DEPTH = 5;

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * True for a cancellation: an AbortError, a DOMException TimeoutError (`AbortSignal.timeout`), axios'
 * ERR_CANCELED. A caller's abort is never a transient failure, whatever it wraps.
 */
export function isAbortError(error: unknown): boolean {
  const name = field(error, 'name');
  if (name === 'AbortError') return true;
  if (name === 'TimeoutError' && !isTimeoutError(error)) return true;
  return field(error, 'code') === 'ERR_CANCELED';
}

/** The errors along the `cause` chain (and the first member of an AggregateError), outermost first. */
function chain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  let current = error;
  for (let depth = 0; depth < MAX_DEPTH && typeof current === 'object' && current !== null; depth++) {
    if (seen.includes(current)) break;
    seen.push(current);
    const cause = field(current, 'cause');
    const members = field(current, 'errors');
    current = cause ?? (Array.isArray(members) ? members[0] : undefined);
  }
  return seen;
}

function messageOf(value: unknown): string {
  const message = field(value, 'message');
  return typeof message === 'string' ? message : '';
}

/**
 * The recognised network error code carried by `error` or its causes (e.g. 'ECONNRESET'), or undefined. Also
 * 'TERMINATED' for fetch's TypeError('terminated') (a response body cut off) when no deeper code is known, and
 * 'FETCH_FAILED' for a wrapper that says fetch failed but dropped the cause (the deprecated Gemini SDK's
 * 'Error fetching from <url>: fetch failed') and for a browser's own fetch TypeError ('Failed to fetch'). Deno's
 * transport errors, which have no code, get the code Node would give ('ECONNREFUSED'...), workerd's 'Network
 * connection lost.' 'CONNECTION_LOST'.
 */
export function networkErrorCode(error: unknown): string | undefined {
  const links = chain(error);
  if (links.some(isAbortError)) return undefined;
  for (const link of links) {
    // A Set holds only its own strings: a code of another type is never found.
    const code = field(link, 'code') as string;
    if (TRANSIENT_CODES.has(code)) return code;
  }
  for (let i = 0; i < links.length; i++) {
    const code = messageOnlyNetworkCode(links[i], messageOf(links[i]), i + 1 < links.length);
    if (code !== undefined) return code;
  }
  const first = links[0];
  if (first instanceof TypeError && first.message === 'terminated') return 'TERMINATED';
  if (links.length === 1 && WRAPPED_FETCH_FAILURE.test(messageOf(first))) return 'FETCH_FAILED';
  return undefined;
}

/** True when `error` is a network failure worth retrying (never a caller's abort). */
export function isTransientNetworkError(error: unknown): boolean {
  return networkErrorCode(error) !== undefined;
}

/** True when `error` proves the request never reached the server (refused, unresolvable, unreachable). */
export function isNotSentError(error: unknown): boolean {
  return NOT_SENT_CODES.has(networkErrorCode(error) as string);
}
