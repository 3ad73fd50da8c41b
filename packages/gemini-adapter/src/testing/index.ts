/**
 * Test helpers: a fault-injecting imitation of the Gemini REST API for the real `@google/genai` SDK.
 * Import from `@bulwark/gemini-adapter/testing`.
 */
export { fault, ok, type QuotaFaultOptions } from './behaviours.js';
export { startFakeGemini } from './server.js';
export type {
  Behaviour,
  BehaviourBase,
  BlockedBehaviour,
  EmptyBehaviour,
  FakeGemini,
  FakeGeminiOptions,
  FakeRequest,
  GeminiMethod,
  HangBehaviour,
  NoFinishBehaviour,
  OkBehaviour,
  QuotaBehaviour,
  QuotaLimits,
  RawBehaviour,
  RequestMatcher,
  ResetBehaviour,
  RpcError,
  RpcErrorBehaviour,
  StallBehaviour,
  Step,
  StreamErrorBehaviour,
  TruncatedBehaviour,
} from './types.js';
