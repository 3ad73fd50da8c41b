/**
 * The names this package reports under: metric names (dot-separated, lower case, under `bulwark.` or the
 * OpenTelemetry GenAI conventions' `gen_ai.`), their UCUM units, attribute keys and span event names. One table,
 * so docs/observability.md and the tests read the same names.
 */

/** A metric this package reports: its instrument's name and unit. */
export interface Metric<Name extends string = string, Unit extends string = string> {
  /** The instrument's name: dot-separated and lower case, under `bulwark.` or the GenAI conventions' `gen_ai.`. */
  readonly name: Name;
  /** Its UCUM unit: `s` for a duration, a count's annotation in braces (`{call}`, `{retry}`) otherwise. */
  readonly unit: Unit;
}

const metric = <Name extends string, Unit extends string>(name: Name, unit: Unit): Metric<Name, Unit> => ({
  name,
  unit,
});

/**
 * Metric names and units of the policy instrumentation ({@link instrument}). Every series carries
 * `bulwark.pipeline.name` ({@link ATTR}`.pipeline`); all but executions and attempts carry `bulwark.policy.name`.
 * docs/observability.md has the table with each metric's attributes.
 */
export const METRICS = {
  /** Histogram (s): executions by `bulwark.outcome` and `error.type`; its count is the number of executions. */
  executionDuration: /* @__PURE__ */ metric('bulwark.execution.duration', 's'),
  /** Histogram (s): attempts (calls of the layer inside the innermost retry or hedge) by outcome and error. */
  attemptDuration: /* @__PURE__ */ metric('bulwark.attempt.duration', 's'),
  /** Counter: retries, by the error retried and `bulwark.retry.delay_source` (`backoff` or a server's `hint`). */
  retries: /* @__PURE__ */ metric('bulwark.retries', '{retry}'),
  /** Counter: executions a retry gave up on, by `bulwark.retry.give_up_reason` and `error.type`. */
  giveUps: /* @__PURE__ */ metric('bulwark.retry.give_ups', '{execution}'),
  /** Counter: calls a layer refused, by `bulwark.rejection.reason` (`circuitOpen`, `bulkheadFull`...). */
  rejections: /* @__PURE__ */ metric('bulwark.rejections', '{call}'),
  /** Counter: deadlines of `timeout` layers that passed. */
  timeouts: /* @__PURE__ */ metric('bulwark.timeouts', '{timeout}'),
  /** Counter: failures a `fallback` replaced, by `error.type` (`result` for a result it rejected). */
  fallbacks: /* @__PURE__ */ metric('bulwark.fallbacks', '{call}'),
  /** Counter: extra attempts started by `hedge`. */
  hedges: /* @__PURE__ */ metric('bulwark.hedges', '{hedge}'),
  /** Observable gauge: 1 for the state a breaker is in, 0 for the others (over a keyed registry: how many). */
  circuitState: /* @__PURE__ */ metric('bulwark.circuit.state', '{circuit}'),
  /** Counter: breaker state changes, by `bulwark.circuit.state` and `bulwark.circuit.previous_state`. */
  circuitTransitions: /* @__PURE__ */ metric('bulwark.circuit.transitions', '{transition}'),
  /** Counter: times a breaker's rule opened its circuit, by `bulwark.circuit.threshold` (`failureRatio`...). */
  circuitThresholdsExceeded: /* @__PURE__ */ metric('bulwark.circuit.thresholds_exceeded', '{event}'),
  /** Observable up-down counter: calls running in a bulkhead. */
  bulkheadExecuting: /* @__PURE__ */ metric('bulwark.bulkhead.executing', '{call}'),
  /** Observable up-down counter: calls waiting for a bulkhead slot. */
  bulkheadQueued: /* @__PURE__ */ metric('bulwark.bulkhead.queued', '{call}'),
  /** Counter: calls that had to wait for admission (bulkhead, rate limiter, adaptive concurrency). */
  queued: /* @__PURE__ */ metric('bulwark.queue.calls', '{call}'),
  /** Histogram (s): the wait announced when a call was queued (a rate limiter's projected admission time). */
  queueWait: /* @__PURE__ */ metric('bulwark.queue.wait', 's'),
  /** Observable up-down counter: callers waiting for a rate limiter. */
  rateLimitWaiting: /* @__PURE__ */ metric('bulwark.rate_limit.waiting', '{call}'),
  /** Histogram (s): pauses a server imposed (a 429) on a rate limiter or adaptive concurrency. */
  pauseDuration: /* @__PURE__ */ metric('bulwark.pause.duration', 's'),
  /** Observable gauge: adaptive concurrency's limit (over a keyed registry: the sum over keys). */
  concurrencyLimit: /* @__PURE__ */ metric('bulwark.concurrency.limit', '{call}'),
  /** Observable up-down counter: adaptive concurrency's slots taken. */
  concurrencyInFlight: /* @__PURE__ */ metric('bulwark.concurrency.in_flight', '{call}'),
  /** Observable up-down counter: calls waiting for an adaptive concurrency slot. */
  concurrencyQueued: /* @__PURE__ */ metric('bulwark.concurrency.queued', '{call}'),
  /** Counter: moves of adaptive concurrency's limit, by `bulwark.concurrency.direction`. */
  limitChanges: /* @__PURE__ */ metric('bulwark.concurrency.limit_changes', '{change}'),
} as const;

/**
 * Metric names and units of the Gemini client instrumentation ({@link instrumentGemini}): the GenAI conventions',
 * then the adapter's own, per model (`gen_ai.request.model`). Its breaker and concurrency use {@link METRICS}'s.
 */
export const GEMINI_METRICS = {
  /** Histogram (s): what a call's caller waited, retries, pauses and failovers included (GenAI conventions). */
  operationDuration: /* @__PURE__ */ metric('gen_ai.client.operation.duration', 's'),
  /** Histogram: tokens of a call by `gen_ai.token.type`, `input` or `output` (GenAI conventions). */
  tokenUsage: /* @__PURE__ */ metric('gen_ai.client.token.usage', '{token}'),
  /** Counter: HTTP requests handed to the SDK. */
  requests: /* @__PURE__ */ metric('bulwark.gemini.requests', '{request}'),
  /** Counter: retries on the same model, by `error.type` (the failure's kind) and delay source. */
  retries: /* @__PURE__ */ metric('bulwark.gemini.retries', '{retry}'),
  /** Counter: moves to the next model, by `bulwark.gemini.failover.to` and `bulwark.gemini.failover.reason`. */
  failovers: /* @__PURE__ */ metric('bulwark.gemini.failovers', '{failover}'),
  /** Counter: local waits, by `bulwark.gemini.wait.reason` (`limit`, `concurrency`, `paused`). */
  waits: /* @__PURE__ */ metric('bulwark.gemini.waits', '{wait}'),
  /** Histogram (s): 429 pauses imposed on every caller of a model. */
  pauseDuration: /* @__PURE__ */ metric('bulwark.gemini.pause.duration', 's'),
  /** Counter: a model's daily quota marked spent (the API's daily 429, or your own `rpd`). */
  quotaExhaustions: /* @__PURE__ */ metric('bulwark.gemini.quota_exhaustions', '{event}'),
  /** Observable gauge: 1 while a model's daily quota is spent (until midnight Pacific). */
  quotaExhausted: /* @__PURE__ */ metric('bulwark.gemini.quota.exhausted', '{model}'),
} as const;

/** Attribute keys. The `error.*` and `gen_ai.*` keys are OpenTelemetry's; the others Bulwark's. */
export const ATTR = {
  /** The `name` option of {@link instrument} (or the policy's name): on every series. */
  pipeline: 'bulwark.pipeline.name',
  /** A layer's `name` option, or its kind (`retry`, `circuitBreaker`...). */
  policy: 'bulwark.policy.name',
  /** A keyed registry's key, as a string: only with `keyAttribute: true`. */
  key: 'bulwark.key',
  /** An execution's or attempt's outcome: `success`, `failure`, `rejected`, `fallback`. */
  outcome: 'bulwark.outcome',
  /** A failure's low-cardinality name (see {@link errorType}). */
  errorType: 'error.type',
  /** Why a layer refused a call: core's `rejected` reasons. */
  rejectionReason: 'bulwark.rejection.reason',
  /** What set a retry's delay: `backoff`, or a server's `hint`. */
  delaySource: 'bulwark.retry.delay_source',
  /** Why a retry gave up: `attempts`, `hintTooLong`, `deadline`, `budget`. */
  giveUpReason: 'bulwark.retry.give_up_reason',
  /** A breaker's state: `closed`, `open`, `halfOpen`, `isolated`. */
  circuitState: 'bulwark.circuit.state',
  /** A breaker's state before a transition. */
  previousCircuitState: 'bulwark.circuit.previous_state',
  /** The rule of a breaker's strategy that was reached: `failureRatio`, `slowCallRatio`, `failureCount`... */
  circuitThreshold: 'bulwark.circuit.threshold',
  /** Which way adaptive concurrency's limit moved: `increase`, `decrease`. */
  limitDirection: 'bulwark.concurrency.direction',
  // Span event details.
  /** Span events: an attempt's number (a retry's: the attempt to come). */
  attempt: 'bulwark.retry.attempt',
  /** Span events: a retry's delay or a queued call's expected wait, in seconds. */
  delay: 'bulwark.retry.delay',
  /** Span events: the attempts made when a retry gave up. */
  attempts: 'bulwark.retry.attempts',
  /** Span events: the number of the hedged attempt that started. */
  hedge: 'bulwark.hedge.number',
  /** Span events: an attempt's duration or a pause's length, in seconds. */
  duration: 'bulwark.duration',
  /** Span events: when a refusal says to try again, in seconds. */
  retryAfter: 'bulwark.retry_after',
  /** Span events: the calls a breaker's window held when a threshold was exceeded. */
  windowCalls: 'bulwark.circuit.window.calls',
  /** Span events: the failures among them. */
  windowFailures: 'bulwark.circuit.window.failures',
  /** Span events: the slow calls among them. */
  windowSlowCalls: 'bulwark.circuit.window.slow_calls',
  /** Span events: a queued call's place in the queue. */
  position: 'bulwark.queue.position',
  // GenAI semantic conventions.
  /** GenAI: `generate_content`, `embeddings` or `count_tokens`. */
  genAiOperation: 'gen_ai.operation.name',
  /** GenAI: `gcp.gemini`, or `gcp.vertex_ai` for a Vertex client. */
  genAiProvider: 'gen_ai.provider.name',
  /** GenAI: the model asked for. */
  genAiRequestModel: 'gen_ai.request.model',
  /** GenAI: the model that answered (the answer's `modelVersion`: after a failover, the fallback). */
  genAiResponseModel: 'gen_ai.response.model',
  /** GenAI: `input` or `output` tokens. */
  genAiTokenType: 'gen_ai.token.type',
  /** GenAI: a call's input tokens (its span). */
  genAiInputTokens: 'gen_ai.usage.input_tokens',
  /** GenAI: a call's output tokens, thoughts included (its span). */
  genAiOutputTokens: 'gen_ai.usage.output_tokens',
  // The adapter's own.
  /** Gemini: whether the request was a stream's. */
  geminiStream: 'bulwark.gemini.stream',
  /** Gemini: why a call waited locally: `limit`, `concurrency`, `paused`. */
  geminiWaitReason: 'bulwark.gemini.wait.reason',
  /** Gemini: the model a failover moved to. */
  failoverTo: 'bulwark.gemini.failover.to',
  /** Gemini: why it moved (`retriesExhausted`, `breakerOpen`, `dailyQuota`...). */
  failoverReason: 'bulwark.gemini.failover.reason',
  /** Gemini: the HTTP requests a call made (its span). */
  geminiAttempts: 'bulwark.gemini.attempts',
  /** Gemini: the failovers a call made (its span). */
  geminiFailovers: 'bulwark.gemini.failovers',
  /** Gemini: the quota a daily 429 named. */
  quotaId: 'bulwark.gemini.quota_id',
  /** Gemini: until when a daily quota is spent (ISO 8601). */
  until: 'bulwark.gemini.until',
} as const;

/** Span event names (added to the active span; the Gemini client's to the span of its call). */
export const SPAN_EVENTS = {
  /** An attempt ended. */
  attempt: 'bulwark.attempt',
  /** A retry is about to wait. */
  retry: 'bulwark.retry',
  /** A retry stopped retrying. */
  giveUp: 'bulwark.give_up',
  /** A hedged attempt started. */
  hedge: 'bulwark.hedge',
  /** A layer refused the call. */
  rejection: 'bulwark.rejection',
  /** A fallback replaced the failure. */
  fallback: 'bulwark.fallback',
  /** The call moved a breaker. */
  circuitTransition: 'bulwark.circuit.transition',
  /** The call's outcome made a breaker's rule open the circuit (which rule, the window's counts). */
  circuitThresholdExceeded: 'bulwark.circuit.threshold_exceeded',
  /** The call waits for admission. */
  queued: 'bulwark.queued',
  /** A limiter was paused. */
  pause: 'bulwark.pause',
  /** Gemini: an HTTP request was sent (model, attempt, stream). */
  geminiRequest: 'bulwark.gemini.request',
  /** Gemini: a retry on the same model (delay, kind, source). */
  geminiRetry: 'bulwark.gemini.retry',
  /** Gemini: the call waits locally. */
  geminiWait: 'bulwark.gemini.wait',
  /** Gemini: a 429's pause for every caller of the model. */
  geminiPause: 'bulwark.gemini.pause',
  /** Gemini: a move to the next model (to, reason). */
  geminiFailover: 'bulwark.gemini.failover',
  /** Gemini: a daily quota marked spent (until, quota id). */
  geminiQuotaExhausted: 'bulwark.gemini.quota_exhausted',
  /** Gemini: the model's breaker changed state. */
  geminiCircuitTransition: 'bulwark.gemini.circuit.transition',
} as const;

/** The instrumentation scope: the meter's and tracer's name. */
export const SCOPE = '@bulwark/opentelemetry';
/** This package's version, the scope's version. */
export const SCOPE_VERSION = '0.1.0';

/** Milliseconds (Bulwark's events) to seconds (the UCUM unit of every duration reported). */
export function seconds(ms: number): number {
  return ms / 1000;
}
