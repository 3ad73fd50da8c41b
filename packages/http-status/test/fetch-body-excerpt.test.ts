// The body of a failed answer that resilientFetch reads before retrying: the excerpt it keeps (bodyExcerptChars,
// decoded across chunk boundaries), where it stops reading (maxDrainBytes: the rest is cancelled, not read), and
// the caller's abort while it reads (the stream is cancelled with the caller's reason).
import { retry } from '@bulwark/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HttpStatusError, isHttpStatusError, resilientFetch } from '../src/index.js';

/** A body in the given chunks that records how many were pulled and how it was cancelled. */
function chunkedBody(chunks: readonly Uint8Array[]) {
  const seen = { pulls: 0, cancelled: false, reason: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[seen.pulls++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
    cancel(reason) {
      seen.cancelled = true;
      seen.reason = reason;
    },
  });
  return { stream, seen };
}

/** The HttpStatusError of one attempt answered 503 with `body`. */
async function failureWith(
  body: ReadableStream<Uint8Array> | null,
  options: { bodyExcerptChars?: number; maxDrainBytes?: number } = {},
): Promise<HttpStatusError> {
  const fetch = async () => new Response(body, { status: 503 });
  try {
    await resilientFetch(retry({ maxAttempts: 1 }), { fetch, ...options })('http://example.invalid/');
  } catch (error) {
    if (isHttpStatusError(error)) return error;
    throw error;
  }
  throw new Error('no failure');
}

const encode = (text: string) => new TextEncoder().encode(text);

describe('resilientFetch: the excerpt of a failed answer', () => {
  it('is the first bodyExcerptChars characters, decoded across chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 50 }),
        async (text, size, chars) => {
          const bytes = encode(text);
          const chunks: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
          const { stream } = chunkedBody(chunks);
          const error = await failureWith(stream, { bodyExcerptChars: chars });
          expect(error.body).toBe(chars === 0 ? undefined : text.slice(0, chars));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('is absent for an answer without a body', async () => {
    expect((await failureWith(null)).body).toBeUndefined();
  });

  it('is read to the end of a body within maxDrainBytes, and not cancelled', async () => {
    const { stream, seen } = chunkedBody([encode('abc'), encode('def')]);
    const error = await failureWith(stream, { maxDrainBytes: 6 });
    expect(error.body).toBe('abcdef');
    expect(seen.cancelled).toBe(false);
    expect(seen.pulls).toBe(3);
  });

  it('stops at the chunk that passes maxDrainBytes: the rest is cancelled, not read', async () => {
    const { stream, seen } = chunkedBody([encode('abc'), encode('def'), encode('ghi'), encode('jkl')]);
    const error = await failureWith(stream, { maxDrainBytes: 4 });
    expect(error.body).toBe('abcdef');
    expect(seen.cancelled).toBe(true);
    expect(seen.pulls).toBeLessThanOrEqual(3);
  });

  it('keeps what it read when the body fails midway', async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(encode('partial'));
        else controller.error(new Error('connection reset'));
      },
    });
    const error = await failureWith(stream);
    expect(error.status).toBe(503);
    expect(error.body).toBeUndefined();
  });
});

describe('resilientFetch: the caller aborts while a failed body is read', () => {
  it('cancels the body with the caller reason and rejects with it', async () => {
    let pulls = 0;
    let cancelReason: unknown;
    const stream = new ReadableStream<Uint8Array>({
      // One chunk, then silence: the second pull (after the first chunk was read) never ends.
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(encode('partial'));
        else return new Promise(() => undefined);
      },
      cancel(reason) {
        cancelReason = reason;
      },
    });
    const controller = new AbortController();
    const fetch = async () => new Response(stream, { status: 503 });
    const response = resilientFetch(retry({ maxAttempts: 3 }), { fetch })('http://example.invalid/', {
      signal: controller.signal,
    });
    const failure = response.then(
      () => undefined,
      (error: unknown) => error,
    );
    while (pulls < 2) await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('enough');
    controller.abort(reason);
    expect(await failure).toBe(reason);
    expect(cancelReason).toBe(reason);
  });
});

describe('resilientFetch: the end of a failed body', () => {
  it('reads on while the bytes read are at most maxDrainBytes: the chunk that passes it is the last read', async () => {
    const { stream } = chunkedBody([encode('abc'), encode('def'), encode('ghi'), encode('jkl')]);
    const error = await failureWith(stream, { maxDrainBytes: 6 });
    expect(error.body).toBe('abcdefghi');
  });

  it('ends an excerpt cut inside a character with the replacement character', async () => {
    const bytes = encode('hé');
    const { stream } = chunkedBody([bytes.slice(0, 2)]);
    const error = await failureWith(stream);
    expect(error.body).toBe('h\uFFFD');
  });
});

describe('resilientFetch: an onThrottle that throws', () => {
  it('rejects with its error and releases the answer body', async () => {
    const { stream, seen } = chunkedBody([encode('slow down'), encode('more')]);
    const fetch = async () => new Response(stream, { status: 429, headers: { 'retry-after': '2' } });
    const thrown = new Error('listener failed');
    const call = resilientFetch(retry({ maxAttempts: 1 }), {
      fetch,
      onThrottle: () => {
        throw thrown;
      },
    })('http://example.invalid/');
    await expect(call).rejects.toBe(thrown);
    expect(seen.cancelled).toBe(true);
  });
});
