import { BulwarkError, guardFor, InvalidOptionError } from '@bulwark/core';
import {
  describe,
  optionalFunction,
  optionalString,
  requireFinite,
  requireFiniteNonNegative,
  requireOptions,
} from '@bulwark/core/validate';
import { type Classifier, classify, isHttpStatus, type StatusDecision } from './classify.js';
import { type HeadersLike, toHeaders } from './headers.js';
import { delayHintMs } from './hints.js';
import { normalizeMethod } from './methods.js';

/** Longest body excerpt an HttpStatusError keeps (characters). */
export const MAX_BODY_EXCERPT = 4096;

/**
 * What the {@link HttpStatusError} constructor takes. It throws `InvalidOptionError` (naming the field) for a status
 * that is not an integer 100..999 (or 0), a `statusText`, `method` or `url` of the wrong type, a `decision` that is not
 * a StatusDecision or a `classify` that is not a function.
 */
export interface HttpStatusErrorInit {
  /** The HTTP status (100..999, or 0 for an opaque answer). Required. */
  readonly status: number;
  /** The status text. Default ''. */
  readonly statusText?: string | undefined;
  /** The request's method. Default 'GET'. */
  readonly method?: string | undefined;
  /** The request URL; credentials, query string and fragment are dropped. */
  readonly url?: string | URL | undefined;
  /** Response headers: fetch Headers, AxiosHeaders, or a node:http-style record. */
  readonly headers?: HeadersLike | null | undefined;
  /** The response body or a part of it: a string, or data that is JSON-serialised. Kept up to 4096 chars. */
  readonly body?: unknown;
  /** The verdict; computed with `classify` (method and headers considered) when omitted. */
  readonly decision?: StatusDecision | undefined;
  /** The classifier used when `decision` is omitted. Default `classify`. */
  readonly classify?: Classifier | undefined;
  /** Overrides the delay hint read from the headers (ms). */
  readonly retryAfterMs?: number | undefined;
  /** Reference time (epoch ms) for date hints when the response has no Date header. Default: wall clock. */
  readonly now?: number | undefined;
}

/** Drops credentials, query and fragment: URLs often carry keys, and errors get logged. */
function redactUrl(url: string | URL | undefined): string {
  if (url === undefined) return '';
  try {
    const parsed = new URL(String(url));
    return parsed.origin === 'null'
      ? `${parsed.protocol}${parsed.pathname}`
      : parsed.origin + parsed.pathname;
  } catch {
    return String(url)
      .split(/[?#]/, 1)[0]!
      .replace(/\/\/[^/@]*@/, '//');
  }
}

function excerpt(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else {
    try {
      text = JSON.stringify(body);
    } catch {
      // A body that cannot be serialised is left out (text stays undefined).
    }
  }
  return text === undefined ? undefined : text.slice(0, MAX_BODY_EXCERPT);
}

/**
 * Checks the fields whose wrong type would crash the constructor or make a silently wrong error; `headers` and
 * `body` are read defensively instead (a header that cannot be read is absent, a body that cannot be serialised
 * is left out).
 */
function checkInit(init: HttpStatusErrorInit): void {
  requireOptions(init, 'status');
  const { status, statusText, method, url, decision, classify: classifier, retryAfterMs, now } = init;
  if (!isHttpStatus(status)) {
    throw new InvalidOptionError('status', `expected an integer 100..999 (or 0), got ${describe(status)}`);
  }
  optionalString('statusText', statusText);
  optionalString('method', method);
  if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) {
    throw new InvalidOptionError('url', `expected a string or a URL, got ${describe(url)}`);
  }
  if (
    decision !== undefined &&
    (typeof decision !== 'object' ||
      decision === null ||
      typeof decision.retry !== 'boolean' ||
      typeof decision.breakerFailure !== 'boolean')
  ) {
    throw new InvalidOptionError(
      'decision',
      `expected a StatusDecision (from classify), got ${describe(decision)}`,
    );
  }
  optionalFunction('classify', classifier);
  if (retryAfterMs !== undefined) requireFiniteNonNegative('retryAfterMs', retryAfterMs);
  if (now !== undefined) requireFinite('now', now);
}

/**
 * An HTTP answer that policies should treat as a failure. A Bulwark error: core's retry honours its
 * `retryAfterMs` (read from retry-after-ms, Retry-After, RateLimit... headers), and breakers and limiters can read
 * it. `decision` says whether it should be retried and whether it counts against a breaker.
 */
export class HttpStatusError extends BulwarkError {
  /** The HTTP status. */
  readonly status: number;
  /** The status text ('' when none was given). */
  readonly statusText: string;
  /** The request's method, upper-cased. */
  readonly method: string;
  /** The request URL without credentials, query string or fragment. */
  readonly url: string;
  /** The response headers, as a fetch `Headers`. */
  readonly headers: Headers;
  /** The start of the response body (at most 4096 characters), when it was read. */
  readonly body: string | undefined;
  /** The verdict on the answer: retry it or not, count it against a breaker or not. */
  readonly decision: StatusDecision;

  constructor(init: HttpStatusErrorInit) {
    checkInit(init);
    const decision =
      init.decision ??
      (init.classify ?? classify)(init.status, { method: init.method, headers: init.headers ?? undefined });
    const method = normalizeMethod(init.method);
    const url = redactUrl(init.url);
    const statusText = init.statusText ?? '';
    const hint =
      init.retryAfterMs !== undefined ? init.retryAfterMs : delayHintMs(init.headers, { now: init.now });
    super(`HTTP ${init.status}${statusText ? ` ${statusText}` : ''} from ${method}${url ? ` ${url}` : ''}`, {
      code: 'HTTP_STATUS',
      retryAfterMs: hint,
    });
    this.name = 'HttpStatusError';
    this.status = init.status;
    this.statusText = statusText;
    this.method = method;
    this.url = url;
    this.headers = toHeaders(init.headers);
    this.body = excerpt(init.body);
    this.decision = decision;
  }
}

/** True for an HttpStatusError from any copy of this package (by its code, `HTTP_STATUS`, as core's guards). */
export const isHttpStatusError = /* @__PURE__ */ guardFor<HttpStatusError>('HTTP_STATUS');
