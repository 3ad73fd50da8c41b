/**
 * Reads a failed response's body so its connection can be reused, keeping the first `maxChars` characters as an
 * excerpt. A body longer than `maxBytes` is cancelled instead: closing the connection is cheaper than reading a
 * large error page. Rejects with the signal's reason as soon as it aborts (even if the fetch in use ignores
 * signals), and with any read error.
 */
export async function drainBody(
  response: Response,
  maxChars: number,
  maxBytes: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  const body = response.body;
  if (body === null || response.bodyUsed) return undefined;
  if (signal.aborted) {
    discardBody(response);
    throw signal.reason;
  }
  const reader = body.getReader();
  const onAbort = (): void => {
    reader.cancel(signal.reason).catch(noop);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw signal.reason;
      if (done) break;
      bytes += value.byteLength;
      if (text.length < maxChars) text += decoder.decode(value, { stream: true });
      if (bytes > maxBytes) {
        await reader.cancel().catch(noop);
        break;
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (text.length < maxChars) text += decoder.decode();
  return text.slice(0, maxChars);
}

/** Releases a response nobody will read. */
export function discardBody(response: Response): void {
  const body = response.body;
  if (body !== null && !body.locked) body.cancel().catch(noop);
}

const noop = (): void => {};
