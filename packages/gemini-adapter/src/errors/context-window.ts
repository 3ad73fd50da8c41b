/** The server's refusal of a prompt longer than the model's context window. */

/**
 * As Gemini words it (400 INVALID_ARGUMENT, reason badRequest): "The input token count (1200293) exceeds the
 * maximum number of tokens allowed (1048576)."
 */
const TOO_LONG =
  /input token count\s*\(?\s*(\d+)\s*\)?\s*exceeds the maximum number of tokens allowed\s*\(?\s*(\d+)/i;

/** The prompt's tokens and the model's limit, when `text` is the server's "input token count exceeds" refusal. */
export function contextWindowRefusal(
  text: string,
): { readonly inputTokens: number; readonly inputTokenLimit: number } | undefined {
  const match = TOO_LONG.exec(text);
  if (match === null) return undefined;
  return { inputTokens: Number(match[1]), inputTokenLimit: Number(match[2]) };
}
