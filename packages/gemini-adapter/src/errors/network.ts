/**
 * Recognises failures of the connection itself. Socket and DNS codes along the cause chain are read by
 * @bulwark/http-status (one list for every Bulwark client); what is specific to the Gemini SDK is the messages
 * of errors that carry no code.
 */
import { networkErrorCode } from '@bulwark/http-status';

/** Messages of errors without a code: fetch's own, a socket closed mid-body, an SSE stream cut short. */
const NETWORK_MESSAGES = [
  /^fetch failed$/i,
  /^terminated$/i,
  /^other side closed$/i,
  /^socket hang up$/i,
  /^Incomplete JSON segment at the end$/,
  /^Response body is empty$/,
];

/** The socket-level code (ECONNRESET, UND_ERR_SOCKET...) found along the error's cause chain, if any. */
export function networkCodeOf(error: unknown): string | undefined {
  const code = networkErrorCode(error);
  // http-status names a bare `terminated` TERMINATED and a wrapped "fetch failed" whose cause was dropped
  // FETCH_FAILED: neither is a socket code (the message tells them).
  return code === 'TERMINATED' || code === 'FETCH_FAILED' ? undefined : code;
}

/** True when the error is a connection failure: a known code on the cause chain, or one of fetch's messages. */
export function isNetworkError(error: unknown, message: string): boolean {
  return networkErrorCode(error) !== undefined || NETWORK_MESSAGES.some((pattern) => pattern.test(message));
}
