export * from './backoff/index.js';
export { type Clock, realClock, sleep, type TimerHandle, type TimerOptions } from './clock.js';
export * from './errors.js';
export * from './events.js';
export {
  type CustomPolicyEvents,
  CustomPolicy,
  definePolicy,
  type PolicyDefinition,
} from './custom-policy.js';
export { DEADLINE, type ExecutionContext, type PolicyContext } from './internal/context.js';
export { HOLD, type Holders, leaveBehind, type SlotHolder } from './internal/slot-holders.js';
export { Pipeline, type PipelineEvents, type PipelineOut, pipeline } from './pipeline.js';
export {
  type AnyPolicy,
  type ExecuteOptions,
  type Next,
  type Policy,
  PolicyBase,
  type PolicyTypes,
  RUN,
  type Task,
} from './policy.js';
// The policies: one folder each, each with its own barrel.
export * from './retry/index.js';
export * from './timeout/index.js';
export * from './fallback/index.js';
export * from './breaker/index.js';
export * from './bulkhead/index.js';
export * from './rate-limit/index.js';
export * from './hedge/index.js';
export * from './budget/index.js';
export * from './keyed/index.js';
export * from './adaptive-concurrency/index.js';
export { type EventSource, type NextEventOptions, nextEvent } from './next-event.js';
