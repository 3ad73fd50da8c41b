/**
 * @bulwark/gemini-adapter: resilient Gemini calls on Bulwark.
 * The fault-injecting fake server lives in `@bulwark/gemini-adapter/testing`.
 */
export { type ResilienceInfo, resilienceInfo } from './adapter/call-info.js';
export { ContextWindowGuard, contextWindowFailure, type PromptCounter } from './adapter/context-window.js';
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
  type GeminiRetargetEvent,
  type GeminiRetryEvent,
  type GeminiTargetUnusableEvent,
  type GeminiSuccessEvent,
  type GeminiWaitEvent,
} from './adapter/events.js';
export { RecentLoad } from './adapter/load.js';
export { ModelGuard } from './adapter/model-guard.js';
export type {
  AnswerVerdict,
  BreakerOptions,
  BudgetOptions,
  ConcurrencyOptions,
  ContextWindowOptions,
  GeminiResilienceOptions,
  ModelLimits,
  PoolTarget,
  ResolvedContextWindow,
  ResolvedOptions,
  ResolvedTarget,
  ResponseCheckOptions,
} from './adapter/options.js';
export type { RetargetReason } from './adapter/pool.js';
export { GeminiResilience } from './adapter/resilience.js';
export { incompleteStreamFailure } from './adapter/stream.js';
export { type ClientModels, Target, type TargetState, type TargetStats } from './adapter/target.js';
export { estimateInputTokens } from './adapter/tokens.js';
export { resilienceOf, withResilience } from './adapter/with-resilience.js';
export * from './errors/index.js';
