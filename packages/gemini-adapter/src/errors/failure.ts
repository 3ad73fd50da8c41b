import { BulwarkError, guardFor } from '@bulwark/core';
import { requireOneOf, requireRecord, requireString } from '@bulwark/core/validate';

/** What went wrong with a Gemini call, in terms a resilience decision can use. */
export type GeminiFailureKind =
  /** 503 UNAVAILABLE: load shedding ("The model is overloaded"). */
  | 'overloaded'
  /** 429 RESOURCE_EXHAUSTED on a per-minute quota (requests or tokens). */
  | 'rateLimited'
  /** 429 RESOURCE_EXHAUSTED on a per-day quota: nothing helps before the daily reset. */
  | 'dailyQuotaExhausted'
  /**
   * 500 INTERNAL, a 502 from a proxy, other 5xx, a 499 CANCELLED the server sent (its backend gave up under load),
   * or a response body that could not be parsed.
   */
  | 'serverError'
  /** 504 DEADLINE_EXCEEDED (or 408): the server gave up on the request. */
  | 'deadline'
  /** The connection failed or dropped: `fetch failed` (ECONNRESET...), `terminated`, a cut stream. */
  | 'network'
  /** A client-side timeout fired (a TimeoutError, or an abort whose reason is one). */
  | 'timeout'
  /** 400 / 401 / 403 and other 4xx: the request itself is wrong; retrying cannot help. */
  | 'clientError'
  /** 404 NOT_FOUND: the model (or method) does not exist for this API version. */
  | 'notFound'
  /**
   * The prompt does not fit the model's context window (input token limit): the server's 400 "The input token
   * count (N) exceeds the maximum number of tokens allowed (M)", or the adapter's own check before sending.
   */
  | 'contextWindowExceeded'
  /** A 200 that is not an answer: the prompt or the candidate was blocked (SAFETY, RECITATION...). */
  | 'blocked'
  /** A 200 with nothing in it: no candidates, or no content (finishReason STOP and no parts). */
  | 'empty'
  /** The caller aborted (an AbortError on the caller's own signal; never a response the server sent). */
  | 'aborted'
  /** Anything else: never guessed at. */
  | 'unknown';

/** Every kind, for exhaustive tables and checks. */
export const geminiFailureKinds: readonly GeminiFailureKind[] = /* @__PURE__ */ Object.freeze([
  'overloaded',
  'rateLimited',
  'dailyQuotaExhausted',
  'serverError',
  'deadline',
  'network',
  'timeout',
  'clientError',
  'notFound',
  'contextWindowExceeded',
  'blocked',
  'empty',
  'aborted',
  'unknown',
]);

const TRANSIENT: ReadonlySet<GeminiFailureKind> = new Set([
  'overloaded',
  'rateLimited',
  'serverError',
  'deadline',
  'network',
  'timeout',
]);

/**
 * What the {@link GeminiFailure} constructor takes: the fields of the failure. The constructor throws
 * `InvalidOptionError` for a missing or unknown `kind` or a `serverMessage` that is not a string.
 */
export interface GeminiFailureInit {
  /** The failure's kind (see {@link GeminiFailureKind}). */
  readonly kind: GeminiFailureKind;
  /** The text the server (or the runtime) gave, cleaned of JSON and HTML wrapping. */
  readonly serverMessage: string;
  /** HTTP status, when there was a response. */
  readonly status?: number | undefined;
  /** google.rpc status name from the body (UNAVAILABLE, RESOURCE_EXHAUSTED...). */
  readonly rpcStatus?: string | undefined;
  /** When trying again may succeed (ms): what core's retry waits. */
  readonly retryAfterMs?: number | undefined;
  /** The server's RetryInfo delay as sent (ms). */
  readonly retryInfoMs?: number | undefined;
  /** The QuotaFailure violation's quotaId. */
  readonly quotaId?: string | undefined;
  /** The QuotaFailure violation's quotaMetric. */
  readonly quotaMetric?: string | undefined;
  /** The QuotaFailure violation's quota value (the limit). */
  readonly quotaValue?: number | undefined;
  /** The model named by the error, or the one the call was for. */
  readonly model?: string | undefined;
  /** Socket-level code for network failures (ECONNRESET...). */
  readonly networkCode?: string | undefined;
  /** `promptFeedback.blockReason` of a blocked prompt. */
  readonly blockReason?: string | undefined;
  /** The candidate's finishReason of a blocked answer. */
  readonly finishReason?: string | undefined;
  /** Raw google.rpc details. Default none. */
  readonly details?: readonly unknown[] | undefined;
  /** `contextWindowExceeded`: the prompt's input tokens (counted or estimated). */
  readonly inputTokens?: number | undefined;
  /** `contextWindowExceeded`: the model's input token limit. */
  readonly inputTokenLimit?: number | undefined;
  /**
   * The refusal is of the credentials, not of the request: 401, 403, a refused key (ErrorInfo API_KEY_INVALID,
   * CONSUMER_SUSPENDED...), a region the API does not serve. Default false.
   */
  readonly credentialsRefused?: boolean | undefined;
  /** The original error. */
  readonly cause?: unknown;
}

/**
 * A Gemini failure, classified. A BulwarkError, so `retryAfterMs` is honoured by core's retry and read by
 * `retryAfterOf`; the original error stays in `cause`.
 */
export class GeminiFailure extends BulwarkError {
  /** What happened, as the decision table sees it (see {@link GeminiFailureKind}). */
  readonly kind: GeminiFailureKind;
  /** HTTP status, when there was a response (same name as the SDK's `ApiError.status`). */
  readonly status: number | undefined;
  /** google.rpc status name from the body (UNAVAILABLE, RESOURCE_EXHAUSTED...), when the server sent one. */
  readonly rpcStatus: string | undefined;
  /** The server's RetryInfo delay as sent (ms), even where `retryAfterMs` says something else. */
  readonly retryInfoMs: number | undefined;
  /** QuotaFailure violation: quotaId (e.g. `GenerateRequestsPerMinutePerProjectPerModel-FreeTier`). */
  readonly quotaId: string | undefined;
  /**
   * QuotaFailure violation: the quota's metric (e.g.
   * `generativelanguage.googleapis.com/generate_content_free_tier_requests`).
   */
  readonly quotaMetric: string | undefined;
  /** QuotaFailure violation: the quota's value (the limit that was reached). */
  readonly quotaValue: number | undefined;
  /** The model named by the error (quota dimensions or message), else the one given in the context. */
  readonly model: string | undefined;
  /** Socket-level code (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET...) for network failures. */
  readonly networkCode: string | undefined;
  /** `promptFeedback.blockReason` of a blocked prompt. */
  readonly blockReason: string | undefined;
  /** The candidate's finishReason of a blocked answer. */
  readonly finishReason: string | undefined;
  /** Raw google.rpc details (QuotaFailure, RetryInfo, Help, ErrorInfo...). */
  readonly details: readonly unknown[];
  /** `contextWindowExceeded`: the prompt's input tokens (counted or estimated), when known. */
  readonly inputTokens: number | undefined;
  /** `contextWindowExceeded`: the model's input token limit, when known. */
  readonly inputTokenLimit: number | undefined;
  /**
   * True when the refusal is of the credentials rather than the request (kind `clientError`): 401 / 403
   * (UNAUTHENTICATED, PERMISSION_DENIED: an invalid, revoked, suspended or leaked key, a project denied access), a
   * 400 whose ErrorInfo names a refused key (API_KEY_INVALID...), or "User location is not supported". Another
   * key of another project may succeed; this one will not. A plain 400 INVALID_ARGUMENT is never one.
   */
  readonly credentialsRefused: boolean;
  /** The text the server (or the runtime) gave, cleaned of JSON and HTML wrapping. */
  readonly serverMessage: string;

  constructor(init: GeminiFailureInit) {
    super(describeFailure(checkedInit(init)), {
      code: 'GEMINI_FAILURE',
      retryAfterMs: init.retryAfterMs,
      cause: init.cause,
    });
    this.name = 'GeminiFailure';
    this.kind = init.kind;
    this.status = init.status;
    this.rpcStatus = init.rpcStatus;
    this.retryInfoMs = init.retryInfoMs;
    this.quotaId = init.quotaId;
    this.quotaMetric = init.quotaMetric;
    this.quotaValue = init.quotaValue;
    this.model = init.model;
    this.networkCode = init.networkCode;
    this.blockReason = init.blockReason;
    this.finishReason = init.finishReason;
    this.details = init.details ?? [];
    this.inputTokens = init.inputTokens;
    this.inputTokenLimit = init.inputTokenLimit;
    this.credentialsRefused = init.credentialsRefused === true;
    this.serverMessage = init.serverMessage;
  }

  /** True for kinds that usually pass on their own: overloaded, rateLimited, serverError, deadline, network, timeout. */
  get transient(): boolean {
    return TRANSIENT.has(this.kind);
  }
}

/** A hand-made failure gets a typed error naming what is wrong, not a TypeError from deep inside. */
function checkedInit(init: unknown): GeminiFailureInit {
  const { kind, serverMessage } = requireRecord<Partial<GeminiFailureInit>>(
    'options',
    init,
    'a GeminiFailureInit object ({ kind, serverMessage, ... })',
  );
  requireOneOf('kind', kind, geminiFailureKinds);
  requireString('serverMessage', serverMessage);
  return init as GeminiFailureInit;
}

function describeFailure(init: GeminiFailureInit): string {
  const head = [init.status, init.rpcStatus].filter((part) => part !== undefined).join(' ');
  const extra = init.networkCode ?? init.blockReason ?? init.finishReason;
  const label = head !== '' ? head : extra !== undefined ? `${init.kind} (${extra})` : init.kind;
  return `Gemini ${label}: ${init.serverMessage}`;
}

/** True for a GeminiFailure from any copy of this package (by its code, `GEMINI_FAILURE`, as core's guards). */
export const isGeminiFailure = /* @__PURE__ */ guardFor<GeminiFailure>('GEMINI_FAILURE');
