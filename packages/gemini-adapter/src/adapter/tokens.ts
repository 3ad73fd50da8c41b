/**
 * A cheap, SDK-free estimate of a request's input tokens, used as the cost of a call in token-per-minute limits
 * before the call; the real `usageMetadata.promptTokenCount` corrects it afterwards. Gemini averages about four
 * characters of English per token; inline media counts a fixed amount per part (an image is 258 tokens).
 */
const CHARS_PER_TOKEN = 4;
const MEDIA_PART_TOKENS = 258;
/** Deeply nested or cyclic input is not walked forever. */
const MAX_DEPTH = 12;

/**
 * A cheap, SDK-free estimate of a request's input tokens (about four characters per token, 258 per inline media part;
 * at least 1), used as a call's cost in TPM limits before it is sent. Never throws: unknown shapes count what text they
 * hold, and nesting deeper than 12 levels is not walked.
 */
export function estimateInputTokens(params: { contents?: unknown; config?: unknown } | undefined): number {
  if (params === null || typeof params !== 'object') return 1;
  const config = (params as { config?: { systemInstruction?: unknown } }).config;
  const tally = { chars: 0, media: 0 };
  walk((params as { contents?: unknown }).contents, tally, 0);
  if (config && typeof config === 'object') walk(config.systemInstruction, tally, 0);
  return Math.max(1, Math.ceil(tally.chars / CHARS_PER_TOKEN) + tally.media * MEDIA_PART_TOKENS);
}

function walk(value: unknown, tally: { chars: number; media: number }, depth: number): void {
  if (depth > MAX_DEPTH || value === null || value === undefined) return;
  if (typeof value === 'string') {
    tally.chars += value.length;
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(item, tally, depth + 1);
    return;
  }
  if (typeof value !== 'object') return;
  const part = value as { text?: unknown; parts?: unknown; inlineData?: unknown; fileData?: unknown };
  if (typeof part.text === 'string') tally.chars += part.text.length;
  if (part.inlineData !== undefined || part.fileData !== undefined) tally.media++;
  if (part.parts !== undefined) walk(part.parts, tally, depth + 1);
}

/** The prompt tokens the server counted, from a response's usageMetadata, if it says. */
export function promptTokensOf(response: unknown): number | undefined {
  const usage = (response as { usageMetadata?: { promptTokenCount?: unknown } } | null | undefined)
    ?.usageMetadata;
  const count = usage?.promptTokenCount;
  return typeof count === 'number' && Number.isFinite(count) && count >= 0 ? count : undefined;
}
