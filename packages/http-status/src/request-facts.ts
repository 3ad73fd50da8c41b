import { normalizeMethod } from './methods.js';

/** What resilientFetch needs to know about a request before sending it. */
export interface RequestFacts {
  /** Upper-cased method. */
  readonly method: string;
  readonly url: string;
  /** The caller's signal: `init.signal`, else the Request's own. */
  readonly signal: AbortSignal | undefined;
  /** The request carries the idempotency-key header. */
  readonly idempotencyKey: boolean;
  /** The body can be sent again: none, a string, bytes, a Blob, FormData or URLSearchParams (not a stream). */
  readonly replayableBody: boolean;
}

function isRequest(input: unknown): input is Request {
  return (
    typeof input === 'object' &&
    input !== null &&
    !(input instanceof URL) &&
    typeof (input as Request).method === 'string' &&
    typeof (input as Request).url === 'string'
  );
}

function isReplayable(body: unknown): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    (typeof SharedArrayBuffer !== 'undefined' && body instanceof SharedArrayBuffer) ||
    body instanceof URLSearchParams ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof FormData !== 'undefined' && body instanceof FormData)
  );
}

function hasHeader(headers: unknown, name: string): boolean {
  if (headers === undefined || headers === null) return false;
  try {
    return new Headers(headers as HeadersInit).has(name);
  } catch {
    // fetch itself will reject these headers; the key question is moot.
    return false;
  }
}

/**
 * Reads method, URL, signal, idempotency key and body replayability the way fetch will: `init` wins over a
 * Request's own fields. A Request's body is a one-shot stream, so it is never replayed.
 */
export function describeRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
  idempotencyKeyHeader: string,
): RequestFacts {
  const request = isRequest(input) ? input : undefined;
  const initBody = init?.body;
  const body = initBody !== undefined && initBody !== null ? initBody : request?.body;
  const headers = init?.headers !== undefined ? init.headers : request?.headers;
  return {
    method: normalizeMethod(init?.method ?? request?.method),
    url: request ? request.url : String(input),
    signal: init?.signal ?? request?.signal ?? undefined,
    idempotencyKey: hasHeader(headers, idempotencyKeyHeader),
    replayableBody: isReplayable(body),
  };
}
