/** A 200 can also be an answer with nothing in it; this tells an empty response from a real one. */
import { blockedFailureOf } from './blocked.js';
import { GeminiFailure } from './failure.js';

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** Part fields that carry something besides text: a function call, media, code. */
const PAYLOAD_FIELDS = [
  'functionCall',
  'functionResponse',
  'inlineData',
  'fileData',
  'executableCode',
  'codeExecutionResult',
] as const;

function partHasContent(part: unknown): boolean {
  const text = field(part, 'text');
  if (typeof text === 'string' && text !== '') return true;
  return PAYLOAD_FIELDS.some((key) => {
    const value = field(part, key);
    return value !== undefined && value !== null;
  });
}

/**
 * Whether a GenerateContentResponse (or a stream chunk) carries anything: some candidate part with text (thoughts
 * included), a function call, media or code. `{ content: { role: 'model' } }` and `parts: [{ text: '' }]` do not.
 */
export function hasContent(response: unknown): boolean {
  try {
    const candidates = field(response, 'candidates');
    if (!Array.isArray(candidates)) return false;
    return candidates.some((candidate) => {
      const parts = field(field(candidate, 'content'), 'parts');
      return Array.isArray(parts) && parts.some(partHasContent);
    });
  } catch {
    return false;
  }
}

/**
 * An `empty` GeminiFailure when a GenerateContentResponse is an answer with nothing in it, whatever its
 * finishReason (STOP, MAX_TOKENS...): no candidates, or candidates without any content, as Gemini sometimes sends
 * (`{ content: { role: 'model' }, finishReason: 'STOP' }`). Undefined for an answer with content, for a blocked
 * one (see `blockedFailureOf`) and for anything that is not a response. Never throws.
 */
export function emptyFailureOf(
  response: unknown,
  context: { readonly model?: string } = {},
): GeminiFailure | undefined {
  if (typeof response !== 'object' || response === null) return undefined;
  if (hasContent(response) || blockedFailureOf(response) !== undefined) return undefined;
  try {
    const candidates = field(response, 'candidates');
    const finish = Array.isArray(candidates) ? field(candidates[0], 'finishReason') : undefined;
    const finishReason = typeof finish === 'string' ? finish : undefined;
    const modelVersion = field(response, 'modelVersion');
    return new GeminiFailure({
      kind: 'empty',
      serverMessage:
        finishReason === undefined
          ? 'the answer is empty (no candidates)'
          : `the answer is empty (finishReason ${finishReason}, no content)`,
      finishReason,
      model: typeof modelVersion === 'string' ? modelVersion : context?.model,
      cause: response,
    });
  } catch {
    return undefined;
  }
}
