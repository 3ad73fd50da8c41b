/** Outcome capture and event-loop polling (no real sleeps). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: any };

/** Awaits a promise without throwing, so a test can look at the error it rejected with. */
export async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Reads a whole stream: the chunks that arrived, and the error that ended it, if any. */
export async function collect(start: Promise<AsyncIterable<any>>): Promise<{ chunks: any[]; error: any }> {
  const chunks: any[] = [];
  try {
    for await (const chunk of await start) chunks.push(chunk);
    return { chunks, error: undefined };
  } catch (error) {
    return { chunks, error };
  }
}

/** Lets the event loop (and its I/O) turn until `condition` holds; fails after `turns` turns. */
export async function until(condition: () => boolean, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('until: condition never became true');
}

export function textOf(chunks: readonly any[]): string {
  return chunks.map((chunk) => chunk.text ?? '').join('');
}
