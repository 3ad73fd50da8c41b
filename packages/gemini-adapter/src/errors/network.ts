/** Recognises failures of the connection itself, as Node's fetch (undici) and the SDK report them. */

/** Socket and DNS codes of Node and undici that mean "the connection failed or dropped". */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RESPONSE_STATUS_CODE',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Messages of errors that carry no code: fetch's own, a socket closed mid-body, a stream cut short. */
const NETWORK_MESSAGES = [
  /^fetch failed$/i,
  /^terminated$/i,
  /^other side closed$/i,
  /^socket hang up$/i,
  /^Incomplete JSON segment at the end$/,
  /^Response body is empty$/,
];

const MAX_CAUSES = 5;

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The network code found along the error's cause chain (the first known one), if any. */
export function networkCodeOf(error: unknown): string | undefined {
  let current = error;
  for (let i = 0; i <= MAX_CAUSES && current !== undefined && current !== null; i++) {
    const code = field(current, 'code');
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_SOCKET')))
      return code;
    // AggregateError (happy eyeballs: several addresses refused).
    const errors = field(current, 'errors');
    if (Array.isArray(errors)) {
      for (const inner of errors) {
        const innerCode = field(inner, 'code');
        if (typeof innerCode === 'string' && NETWORK_CODES.has(innerCode)) return innerCode;
      }
    }
    current = field(current, 'cause');
  }
  return undefined;
}

/** True when the error is a connection failure: a known code on the cause chain, or one of fetch's messages. */
export function isNetworkError(error: unknown, message: string): boolean {
  return networkCodeOf(error) !== undefined || NETWORK_MESSAGES.some((pattern) => pattern.test(message));
}
