/**
 * @bulwark/gemini-adapter: resilient Gemini calls on Bulwark.
 * The fault-injecting fake server lives in `@bulwark/gemini-adapter/testing`.
 */
export { type ResilienceInfo, resilienceInfo } from './adapter/call-info.js';
export { failoverReason, isBreakerFailure, isRetryable } from './adapter/decisions.js';
export {
  type FailoverReason,
  type GeminiBreakerStateEvent,
  type GeminiFailoverEvent,
  type GeminiFailureEvent,
  type GeminiPausedEvent,
  type GeminiQuotaExhaustedEvent,
  type GeminiRequestEvent,
  GeminiResilienceEmitter,
  type GeminiResilienceEvents,
  type GeminiResilienceStats,
  type GeminiRetryEvent,
  type GeminiSuccessEvent,
  type GeminiWaitEvent,
} from './adapter/events.js';
export { ModelGuard } from './adapter/model-guard.js';
export type {
  AnswerVerdict,
  BreakerOptions,
  BudgetOptions,
  ConcurrencyOptions,
  GeminiResilienceOptions,
  ModelLimits,
  ResolvedOptions,
  ResponseCheckOptions,
} from './adapter/options.js';
export { GeminiResilience } from './adapter/resilience.js';
export { incompleteStreamFailure } from './adapter/stream.js';
export { estimateInputTokens } from './adapter/tokens.js';
export { resilienceOf, withResilience } from './adapter/with-resilience.js';
export * from './errors/index.js';
