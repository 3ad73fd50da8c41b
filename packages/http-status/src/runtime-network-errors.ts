/**
 * Network failures of fetch outside Node and Bun, which carry no error code and are told apart by message only:
 * - Deno: TypeError('fetch failed') whose cause is an Error 'error sending request for url (<url>): client error
 *   (Connect): tcp connect error: Connection refused (os error 111)' (hyper's and the OS's wording).
 * - Browsers: a bare TypeError with no cause: 'Failed to fetch' (Chromium), 'Load failed' (Safari), 'NetworkError
 *   when attempting to fetch resource.' (Firefox). The same error also stands for a CORS refusal, and nothing says
 *   whether the request was sent.
 * - Cloudflare workerd: Error('Network connection lost.') (with `retryable: true`), refused connections included.
 */

/** Deno's prefix for a request that failed in transport (not an HTTP status). */
const DENO_SEND_FAILURE = /^error sending request for url \(/;

/** OS and hyper wordings inside Deno's message, with the code Node would have given. First match wins. */
const DENO_CAUSES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bConnection refused\b/, 'ECONNREFUSED'],
  [/\bdns error\b.*\bTemporary failure in name resolution\b/, 'EAI_AGAIN'],
  [/\bdns error\b/, 'ENOTFOUND'],
  [/\bNetwork is unreachable\b/, 'ENETUNREACH'],
  [/\bNo route to host\b/, 'EHOSTUNREACH'],
  [/\bConnection reset by peer\b/, 'ECONNRESET'],
  [/\bconnection closed before message completed\b/, 'ECONNRESET'],
  [/\bBroken pipe\b/, 'EPIPE'],
  [/\bConnection timed out\b/, 'ETIMEDOUT'],
];

const BROWSER_FETCH_FAILURE =
  /^(?:Failed to fetch|Load failed|NetworkError when attempting to fetch resource\.?)$/;

const WORKERD_CONNECTION_LOST = 'Network connection lost.';

/**
 * The code of a message-only network failure, or undefined: Deno's transport errors map to the code Node would
 * give (TLS and other failures stay unrecognised); a browser's bare fetch TypeError is 'FETCH_FAILED' and workerd's
 * lost connection 'CONNECTION_LOST' (transient, but never proof the request was not sent).
 */
export function messageOnlyNetworkCode(
  link: unknown,
  message: string,
  hasCause: boolean,
): string | undefined {
  if (DENO_SEND_FAILURE.test(message)) {
    for (const [pattern, code] of DENO_CAUSES) if (pattern.test(message)) return code;
    return undefined;
  }
  if (!hasCause && link instanceof TypeError && BROWSER_FETCH_FAILURE.test(message)) return 'FETCH_FAILED';
  if (message === WORKERD_CONNECTION_LOST) return 'CONNECTION_LOST';
  return undefined;
}
