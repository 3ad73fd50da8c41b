import type { Attributes } from '@opentelemetry/api';
import { ATTR } from '../names.js';

/** The client methods instrumented, and their `gen_ai.operation.name`. */
export const OPERATIONS = {
  generateContent: 'generate_content',
  generateContentStream: 'generate_content',
  embedContent: 'embeddings',
  countTokens: 'count_tokens',
} as const;

export type Method = keyof typeof OPERATIONS;

/** `gen_ai.provider.name`: the Gemini API, or Vertex AI when the client was built for it. */
export function providerOf(ai: object): string {
  return (ai as { vertexai?: unknown }).vertexai === true ? 'gcp.vertex_ai' : 'gcp.gemini';
}

/** What a response (or the last stream chunk) says about the call, per the GenAI conventions. */
export interface Usage {
  /** `gen_ai.response.model`: the `modelVersion` the API answered with. */
  readonly responseModel: string | undefined;
  readonly inputTokens: number | undefined;
  /** The answer's tokens, thoughts included (they are billed as output). */
  readonly outputTokens: number | undefined;
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

/** Reads `modelVersion` and `usageMetadata` from a response or a chunk; undefined fields when absent. */
export function usageOf(response: unknown): Usage {
  const r = (typeof response === 'object' && response !== null ? response : {}) as {
    modelVersion?: unknown;
    usageMetadata?: {
      promptTokenCount?: unknown;
      candidatesTokenCount?: unknown;
      thoughtsTokenCount?: unknown;
    };
  };
  const usage = r.usageMetadata ?? {};
  const candidates = count(usage.candidatesTokenCount);
  const thoughts = count(usage.thoughtsTokenCount);
  return {
    responseModel: typeof r.modelVersion === 'string' && r.modelVersion !== '' ? r.modelVersion : undefined,
    inputTokens: count(usage.promptTokenCount),
    outputTokens:
      candidates === undefined && thoughts === undefined ? undefined : (candidates ?? 0) + (thoughts ?? 0),
  };
}

/** Merges what a later chunk says over what earlier ones said (usage comes with the last chunks). */
export function laterUsage(earlier: Usage, later: Usage): Usage {
  return {
    responseModel: later.responseModel ?? earlier.responseModel,
    inputTokens: later.inputTokens ?? earlier.inputTokens,
    outputTokens: later.outputTokens ?? earlier.outputTokens,
  };
}

/** The attributes every GenAI metric and span of one call carries. */
export function callAttributes(operation: string, provider: string, requested: string): Attributes {
  return {
    [ATTR.genAiOperation]: operation,
    [ATTR.genAiProvider]: provider,
    [ATTR.genAiRequestModel]: requested,
  };
}
