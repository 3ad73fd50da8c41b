/** A 200 can still be a non-answer; this tells a blocked response from a real one. */
import { GeminiFailure } from './failure.js';

/** finishReasons that mean the answer was withheld (not MAX_TOKENS: a truncated answer is still an answer). */
const BLOCKING_FINISH: ReadonlySet<string> = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * A `blocked` GeminiFailure when a GenerateContentResponse (or stream chunk) was refused: the prompt
 * (`promptFeedback.blockReason`) or the first candidate (finishReason SAFETY, RECITATION, BLOCKLIST...).
 * Undefined for a real answer, and for anything that is not a response. Never throws.
 */
export function blockedFailureOf(
  response: unknown,
  context: { readonly model?: string } = {},
): GeminiFailure | undefined {
  try {
    const model =
      typeof field(response, 'modelVersion') === 'string'
        ? (field(response, 'modelVersion') as string)
        : context?.model;
    const blockReason = field(field(response, 'promptFeedback'), 'blockReason');
    if (
      typeof blockReason === 'string' &&
      blockReason !== '' &&
      blockReason !== 'BLOCKED_REASON_UNSPECIFIED'
    ) {
      return new GeminiFailure({
        kind: 'blocked',
        serverMessage: `the prompt was blocked (${blockReason})`,
        blockReason,
        model,
        cause: response,
      });
    }
    const candidates = field(response, 'candidates');
    const finishReason = Array.isArray(candidates) ? field(candidates[0], 'finishReason') : undefined;
    if (typeof finishReason === 'string' && BLOCKING_FINISH.has(finishReason)) {
      return new GeminiFailure({
        kind: 'blocked',
        serverMessage: `the answer was withheld (finishReason ${finishReason})`,
        finishReason,
        model,
        cause: response,
      });
    }
  } catch {
    // Not a response we can read: not a block we can prove.
  }
  return undefined;
}
