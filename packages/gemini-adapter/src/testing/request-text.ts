/** Reads the text out of Gemini request bodies: the prompt an echo answers, and an input-token estimate. */

function textsOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (typeof content !== 'object' || content === null) return [];
  const parts = (content as { parts?: unknown }).parts;
  if (!Array.isArray(parts)) return [];
  const texts: string[] = [];
  for (const part of parts) {
    const text = (part as { text?: unknown } | null)?.text;
    if (typeof text === 'string') texts.push(text);
  }
  return texts;
}

/** Every content of a body: generate/count (`contents`), embed (`content`), batch embed (`requests[].content`). */
function contentsOf(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null) return [];
  const b = body as {
    contents?: unknown;
    content?: unknown;
    requests?: unknown;
    generateContentRequest?: unknown;
  };
  if (Array.isArray(b.contents)) return b.contents;
  if (b.content !== undefined) return [b.content];
  if (Array.isArray(b.requests)) return b.requests.map((r) => (r as { content?: unknown } | null)?.content);
  if (b.generateContentRequest !== undefined) return contentsOf(b.generateContentRequest);
  return [];
}

/** The text of the last content: what the user just said. */
export function promptOf(body: unknown): string {
  const contents = contentsOf(body);
  return textsOf(contents[contents.length - 1]).join('');
}

/** Each content's text, for batch embeddings. */
export function eachContentText(body: unknown): string[] {
  return contentsOf(body).map((content) => textsOf(content).join(''));
}

/** Input tokens, estimated like Gemini's rule of thumb (4 characters a token), system instruction included. */
export function inputTokensOf(body: unknown): number {
  let chars = 0;
  for (const content of contentsOf(body)) for (const text of textsOf(content)) chars += text.length;
  const system = (body as { systemInstruction?: unknown } | null)?.systemInstruction;
  for (const text of textsOf(system)) chars += text.length;
  return Math.ceil(chars / 4);
}
