import type { Clock } from '@bulwark/core';

/** The Gemini REST methods the fake server speaks. */
export type GeminiMethod =
  | 'generateContent'
  | 'streamGenerateContent'
  | 'countTokens'
  | 'embedContent'
  | 'batchEmbedContents'
  /** `GET /{version}/models/{model}` (the SDK's `models.get`): the model's description and token limits. */
  | 'get';

/** One request as the fake server received it. */
export interface FakeRequest {
  /** Arrival order, from 0. */
  readonly index: number;
  /** Arrival time on the server's clock (ms). */
  readonly time: number;
  /** The HTTP method (`POST` for every Gemini call). */
  readonly httpMethod: string;
  /** Path without the query string, e.g. `/v1/models/gemini-2.5-flash:generateContent`. */
  readonly path: string;
  /** Path with the query string. */
  readonly url: string;
  /** `v1` or `v1beta`; undefined when the path did not name a known version. */
  readonly apiVersion: string | undefined;
  /** The model id without its `models/` prefix, e.g. `gemini-2.5-flash`. */
  readonly model: string | undefined;
  /** The Gemini method the path names; undefined for a path the server does not route. */
  readonly method: GeminiMethod | undefined;
  /** True for `streamGenerateContent` (server-sent events). */
  readonly stream: boolean;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  readonly body: unknown;
  /** Lower-cased request headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The project the request's API key belongs to (the `keys` option); undefined without `keys`. */
  readonly project: string | undefined;
  /** All text of the request's last content (what `echo` answers). */
  readonly prompt: string;
  /** Rough input-token count of the whole request (characters / 4), as quotas and usageMetadata use it. */
  readonly inputTokens: number;
  /**
   * What the server answered with: `ok`, the fault's name (`overloaded`, `rateLimited`, `dailyQuota`, `hang`...),
   * `capacity` when load shedding refused it, `unrouted` / `invalidJson` / `apiKeyInvalid` for refused requests,
   * `pending` while the body is still being read.
   */
  readonly answer: string;
  /** True once the client went away before the answer was complete (abort, timeout, reset by the fault). */
  readonly aborted: boolean;
}

/** Matches requests for a script or a default: a model id, or any combination of fields. */
export type RequestMatcher =
  | string
  | {
      /** The model id, without `models/`. */
      readonly model?: string;
      /** The Gemini method. */
      readonly method?: GeminiMethod;
      /** `v1` or `v1beta`. */
      readonly apiVersion?: string;
    };

/** What to answer: a behaviour, or a function choosing one per request. */
export type Step = Behaviour | ((request: FakeRequest) => Behaviour);

/** Options every behaviour accepts. */
export interface BehaviourBase {
  /** Wait this long (server clock) before answering. Default 0. */
  readonly delayMs?: number;
}

/** A google.rpc.Status error body to send. */
export interface RpcError {
  /** The HTTP status code (e.g. 503). */
  readonly code: number;
  /** The google.rpc status name (e.g. `UNAVAILABLE`). */
  readonly status: string;
  /** The error message. */
  readonly message: string;
  /** google.rpc details (QuotaFailure, RetryInfo, Help...). Default none. */
  readonly details?: readonly unknown[];
  /** The legacy Google API error list (`[{ message, domain, reason }]`) some errors still carry. */
  readonly errors?: readonly unknown[];
}

/** Everything the fake server can answer, built by `ok()` and the `fault.*()` builders. */
export type Behaviour =
  | OkBehaviour
  | RpcErrorBehaviour
  | QuotaBehaviour
  | RawBehaviour
  | ResetBehaviour
  | HangBehaviour
  | StallBehaviour
  | StreamErrorBehaviour
  | TruncatedBehaviour
  | NoFinishBehaviour
  | BlockedBehaviour
  | EmptyBehaviour;

/** Answers normally (an echo of the prompt by default), as a unary body or a stream of chunks. */
export interface OkBehaviour extends BehaviourBase {
  /** Always 'ok'. */
  readonly kind: 'ok';
  /** The answer's text; default: the server's `text` option (echo of the prompt). */
  readonly text?: string | ((request: FakeRequest) => string);
  /** Stream chunks the text is split into. Default 3 (fewer when the text is shorter). */
  readonly chunks?: number;
  /** Server-clock pause between stream chunks (ms). Default 0. */
  readonly chunkDelayMs?: number;
  /** Default 'STOP'. */
  readonly finishReason?: string;
  /** Stream events without content (no parts) before the answer's first chunk. Default 0. */
  readonly leadingEmptyChunks?: number;
}

/** An HTTP error carrying a google.rpc.Status JSON body. */
export interface RpcErrorBehaviour extends BehaviourBase {
  /** Always 'rpcError'. */
  readonly kind: 'rpcError';
  /** A short name for the request log (`overloaded`, `internal`...). */
  readonly label: string;
  /** The body, or a function building it from the request (to name the model). */
  readonly error: RpcError | ((request: FakeRequest) => RpcError);
}

/** A 429 RESOURCE_EXHAUSTED with real QuotaFailure / Help / RetryInfo details, built for the request's model. */
export interface QuotaBehaviour extends BehaviourBase {
  /** Always 'quota'. */
  readonly kind: 'quota';
  /** Which quota ran out: the per-minute or the per-day one. */
  readonly per: 'minute' | 'day';
  /** What the quota counts: requests or input tokens. */
  readonly metric: 'requests' | 'inputTokens';
  /** The delay (ms) the message text says, exactly; RetryInfo says its whole seconds (see `exactRetryInfo`). */
  readonly retryDelayMs: number;
  /** The quota value reported (the limit that was reached). */
  readonly limit: number;
  /** RetryInfo with the exact delay instead of Gemini's whole seconds. Default false. */
  readonly exactRetryInfo?: boolean;
}

/** Any status, content type and body, sent as given (HTML pages, plain text, malformed JSON). */
export interface RawBehaviour extends BehaviourBase {
  /** Always 'raw'. */
  readonly kind: 'raw';
  /** A short name for the request log. */
  readonly label: string;
  /** The HTTP status (100..599). */
  readonly status: number;
  /** The `content-type` header. */
  readonly contentType: string;
  /** The body, sent as is. */
  readonly body: string;
}

/**
 * Without `afterChunks`: resets the TCP connection (RST) before any response. With `afterChunks` > 0: closes
 * the connection in the middle of the body (after that many stream chunks; a unary call gets half its body).
 */
export interface ResetBehaviour extends BehaviourBase {
  /** Always 'reset'. */
  readonly kind: 'reset';
  /** Stream chunks sent before the connection drops; omitted, it is reset before any response. */
  readonly afterChunks?: number;
}

/** Never answers: the request stays open until the client aborts or the server closes. */
export interface HangBehaviour extends BehaviourBase {
  /** Always 'hang'. */
  readonly kind: 'hang';
}

/**
 * Sends the 200 headers and `afterChunks` chunks, then goes silent for `ms` (forever when undefined) before
 * finishing normally. A unary call stalls after its headers.
 */
export interface StallBehaviour extends BehaviourBase {
  /** Always 'stall'. */
  readonly kind: 'stall';
  /** Stream chunks sent before the silence. */
  readonly afterChunks: number;
  /** How long the silence lasts (ms, server clock); undefined: forever. */
  readonly ms?: number;
}

/** Sends `afterChunks` chunks, then a `data: {"error":{...}}` event, then ends. A unary call gets the error. */
export interface StreamErrorBehaviour extends BehaviourBase {
  /** Always 'streamError'. */
  readonly kind: 'streamError';
  /** Stream chunks sent before the error event. */
  readonly afterChunks: number;
  /** The error the event carries. */
  readonly error: RpcError;
}

/** Sends `afterChunks` chunks, then half an event without its delimiter, then ends. Unary: a cut JSON body. */
export interface TruncatedBehaviour extends BehaviourBase {
  /** Always 'truncated'. */
  readonly kind: 'truncated';
  /** Stream chunks sent before the cut event. */
  readonly afterChunks: number;
}

/** Sends every chunk but none carries a finishReason, then ends cleanly. Unary: a candidate without one. */
export interface NoFinishBehaviour extends BehaviourBase {
  /** Always 'noFinish'. */
  readonly kind: 'noFinish';
  /** Stream chunks sent. Default 3. */
  readonly chunks?: number;
}

/** A 200 that is not an answer: the prompt blocked (promptFeedback) or the candidate stopped (finishReason). */
export interface BlockedBehaviour extends BehaviourBase {
  /** Always 'blocked'. */
  readonly kind: 'blocked';
  /** Where the block is: the prompt (`promptFeedback.blockReason`) or the candidate (`finishReason`). */
  readonly where: 'prompt' | 'candidate';
  /** blockReason (prompt) or finishReason (candidate). Default 'SAFETY'. */
  readonly reason: string;
  /** Stream chunks sent before the blocking one (candidate blocks only). Default 0. */
  readonly afterChunks: number;
}

/**
 * A 200 with nothing in it, as Gemini sometimes answers: a candidate with `finishReason` (STOP by default) and
 * content without parts (`{ role: 'model' }`), or with `parts: [{ text: '' }]`. A stream gets `chunksBefore`
 * events without content, then that candidate.
 */
export interface EmptyBehaviour extends BehaviourBase {
  /** Always 'empty'. */
  readonly kind: 'empty';
  /** The candidate's finishReason. Default 'STOP'. */
  readonly finishReason: string;
  /** 'none': `content: { role: 'model' }`; 'emptyText': `parts: [{ text: '' }]`. Default 'none'. */
  readonly parts: 'none' | 'emptyText';
  /** Stream events without content before the finishing one. Default 0. */
  readonly chunksBefore: number;
}

/** Per-model quotas the server enforces, answering with the proper 429s. */
export interface QuotaLimits {
  /** Requests per minute (sliding 60 s window). */
  readonly rpm?: number;
  /** Requests per day; the day resets at midnight Pacific time, as Gemini's does. */
  readonly rpd?: number;
  /** Input tokens per minute (sliding 60 s window; tokens = characters / 4). */
  readonly tpm?: number;
  /** Input tokens per day; resets at midnight Pacific time, like `rpd`. */
  readonly tpd?: number;
}

/** Options of {@link startFakeGemini}; a bad value throws `InvalidOptionError` naming the option. */
export interface FakeGeminiOptions {
  /** Port on 127.0.0.1. Default 0 (a free port). */
  readonly port?: number;
  /** Clock for request times, delays, stalls, capacity and quota windows. Default: the real clock. */
  readonly clock?: Clock;
  /** Answer text of `ok()`: a fixed string or a function. Default: the prompt itself (echo). */
  readonly text?: string | ((request: FakeRequest) => string);
  /** What unscripted requests get. Default `ok()`. */
  readonly defaultBehaviour?: Step;
  /**
   * Load shedding: at most N requests per second (sliding 1 s window) are served; the rest get 503 UNAVAILABLE.
   * A number is one limit shared by the whole server; a record is per model (`'*'` = every other model).
   */
  readonly capacity?: number | Readonly<Record<string, number>>;
  /** Per-model quotas (`'*'` = every other model). Apply to generate and embed calls, not countTokens. */
  readonly quotas?: Readonly<Record<string, QuotaLimits>>;
  /** When given, other models answer 404 NOT_FOUND. */
  readonly models?: readonly string[];
  /** When given, requests with another `x-goog-api-key` answer 400 API_KEY_INVALID. */
  readonly apiKey?: string;
  /**
   * API keys and the project each belongs to: `{ 'key-a1': 'project-a', 'key-a2': 'project-a', 'key-b':
   * 'project-b' }`. Quotas then count per project (every key of a project shares them, as Gemini's do), and
   * another key answers 400 API_KEY_INVALID (unless it is `apiKey`).
   */
  readonly keys?: Readonly<Record<string, string>>;
  /**
   * Keys that were revoked: they answer 403 PERMISSION_DENIED ("Permission denied: Consumer 'api_key:...' has been
   * suspended.", ErrorInfo CONSUMER_SUSPENDED), as Gemini does for a suspended or leaked key.
   */
  readonly revokedKeys?: readonly string[];
  /**
   * Input token limits per model (`'*'` = every other model): a generate call with more input tokens answers 400
   * INVALID_ARGUMENT "The input token count (N) exceeds the maximum number of tokens allowed (M).", and
   * `models.get` reports the limit as `inputTokenLimit` (default 1 048 576).
   */
  readonly inputTokenLimits?: Readonly<Record<string, number>>;
  /** Length of the vectors embed calls return. Default 8. */
  readonly embeddingDimensions?: number;
}

/**
 * A running fake Gemini server (from {@link startFakeGemini}): point the SDK at `baseUrl`, script faults, read the
 * requests it saw, `close()` it.
 */
export interface FakeGemini {
  /** `http://127.0.0.1:<port>`: pass it as `httpOptions.baseUrl`. */
  readonly url: string;
  /** The same origin as `url`, named after the SDK option it is meant for. */
  readonly baseUrl: string;
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly requests: readonly FakeRequest[];
  /** Scripted steps not consumed yet. */
  readonly pendingSteps: number;
  /** Queues steps for any request. */
  script(steps: readonly Step[]): void;
  /** Queues steps for the requests `matcher` selects (a model id, or `{ model, method, apiVersion }`). */
  script(matcher: RequestMatcher, steps: readonly Step[]): void;
  /** What unscripted requests get from now on (for the matched model/method only, when a matcher is given). */
  setDefault(step: Step): void;
  /** What unscripted requests that `matcher` selects get from now on. */
  setDefault(matcher: RequestMatcher, step: Step): void;
  /** Forgets scripts, defaults set by `setDefault`, recorded requests and capacity/quota windows. */
  reset(): void;
  /** Stops the server and ends every open connection, hung ones included. Idempotent. */
  close(): Promise<void>;
}
