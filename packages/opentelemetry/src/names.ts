/**
 * The names this package reports under: metric names (dot-separated, lower case, under `bulwark.` or the
 * OpenTelemetry GenAI conventions' `gen_ai.`), their UCUM units, attribute keys and span event names. One table,
 * so docs/observability.md and the tests read the same names.
 */

/** Metric names and units of the policy instrumentation. */
export const METRICS = {
  executionDuration: { name: 'bulwark.execution.duration', unit: 's' },
  attemptDuration: { name: 'bulwark.attempt.duration', unit: 's' },
  retries: { name: 'bulwark.retries', unit: '{retry}' },
  giveUps: { name: 'bulwark.retry.give_ups', unit: '{execution}' },
  rejections: { name: 'bulwark.rejections', unit: '{call}' },
  timeouts: { name: 'bulwark.timeouts', unit: '{timeout}' },
  fallbacks: { name: 'bulwark.fallbacks', unit: '{call}' },
  hedges: { name: 'bulwark.hedges', unit: '{hedge}' },
  circuitState: { name: 'bulwark.circuit.state', unit: '{circuit}' },
  circuitTransitions: { name: 'bulwark.circuit.transitions', unit: '{transition}' },
  bulkheadExecuting: { name: 'bulwark.bulkhead.executing', unit: '{call}' },
  bulkheadQueued: { name: 'bulwark.bulkhead.queued', unit: '{call}' },
  queued: { name: 'bulwark.queue.calls', unit: '{call}' },
  queueWait: { name: 'bulwark.queue.wait', unit: 's' },
  rateLimitWaiting: { name: 'bulwark.rate_limit.waiting', unit: '{call}' },
  pauseDuration: { name: 'bulwark.pause.duration', unit: 's' },
  concurrencyLimit: { name: 'bulwark.concurrency.limit', unit: '{call}' },
  concurrencyInFlight: { name: 'bulwark.concurrency.in_flight', unit: '{call}' },
  concurrencyQueued: { name: 'bulwark.concurrency.queued', unit: '{call}' },
  limitChanges: { name: 'bulwark.concurrency.limit_changes', unit: '{change}' },
} as const;

/** Metric names and units of the Gemini client instrumentation (GenAI conventions, then the adapter's own). */
export const GEMINI_METRICS = {
  operationDuration: { name: 'gen_ai.client.operation.duration', unit: 's' },
  tokenUsage: { name: 'gen_ai.client.token.usage', unit: '{token}' },
  requests: { name: 'bulwark.gemini.requests', unit: '{request}' },
  retries: { name: 'bulwark.gemini.retries', unit: '{retry}' },
  failovers: { name: 'bulwark.gemini.failovers', unit: '{failover}' },
  waits: { name: 'bulwark.gemini.waits', unit: '{wait}' },
  pauseDuration: { name: 'bulwark.gemini.pause.duration', unit: 's' },
  quotaExhaustions: { name: 'bulwark.gemini.quota_exhaustions', unit: '{event}' },
  quotaExhausted: { name: 'bulwark.gemini.quota.exhausted', unit: '{model}' },
} as const;

/** Attribute keys. The `error.*` and `gen_ai.*` keys are OpenTelemetry's; the others Bulwark's. */
export const ATTR = {
  pipeline: 'bulwark.pipeline.name',
  policy: 'bulwark.policy.name',
  key: 'bulwark.key',
  outcome: 'bulwark.outcome',
  errorType: 'error.type',
  rejectionReason: 'bulwark.rejection.reason',
  delaySource: 'bulwark.retry.delay_source',
  giveUpReason: 'bulwark.retry.give_up_reason',
  circuitState: 'bulwark.circuit.state',
  previousCircuitState: 'bulwark.circuit.previous_state',
  limitDirection: 'bulwark.concurrency.direction',
  // Span event details.
  attempt: 'bulwark.retry.attempt',
  delay: 'bulwark.retry.delay',
  attempts: 'bulwark.retry.attempts',
  hedge: 'bulwark.hedge.number',
  duration: 'bulwark.duration',
  retryAfter: 'bulwark.retry_after',
  position: 'bulwark.queue.position',
  // GenAI semantic conventions.
  genAiOperation: 'gen_ai.operation.name',
  genAiProvider: 'gen_ai.provider.name',
  genAiRequestModel: 'gen_ai.request.model',
  genAiResponseModel: 'gen_ai.response.model',
  genAiTokenType: 'gen_ai.token.type',
  genAiInputTokens: 'gen_ai.usage.input_tokens',
  genAiOutputTokens: 'gen_ai.usage.output_tokens',
  // The adapter's own.
  geminiStream: 'bulwark.gemini.stream',
  geminiWaitReason: 'bulwark.gemini.wait.reason',
  failoverTo: 'bulwark.gemini.failover.to',
  failoverReason: 'bulwark.gemini.failover.reason',
  geminiAttempts: 'bulwark.gemini.attempts',
  geminiFailovers: 'bulwark.gemini.failovers',
  quotaId: 'bulwark.gemini.quota_id',
  until: 'bulwark.gemini.until',
} as const;

/** Span event names (added to the active span; the Gemini client's to the span of its call). */
export const SPAN_EVENTS = {
  attempt: 'bulwark.attempt',
  retry: 'bulwark.retry',
  giveUp: 'bulwark.give_up',
  hedge: 'bulwark.hedge',
  rejection: 'bulwark.rejection',
  fallback: 'bulwark.fallback',
  circuitTransition: 'bulwark.circuit.transition',
  queued: 'bulwark.queued',
  pause: 'bulwark.pause',
  geminiRequest: 'bulwark.gemini.request',
  geminiRetry: 'bulwark.gemini.retry',
  geminiWait: 'bulwark.gemini.wait',
  geminiPause: 'bulwark.gemini.pause',
  geminiFailover: 'bulwark.gemini.failover',
  geminiQuotaExhausted: 'bulwark.gemini.quota_exhausted',
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
