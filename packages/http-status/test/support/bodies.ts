/** Response bodies with a known behaviour, for the tests of how resilientFetch reads and releases them. */

/** A body that gives one chunk, then never another nor an end; `pulls()` says how many reads it was asked for. */
export function stalledBody(first = 'partial') {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      if (pulls === 1) controller.enqueue(new TextEncoder().encode(first));
      return new Promise(() => undefined);
    },
  });
  return { stream, pulls: () => pulls };
}

/** What `promise` rejects with, or undefined once it resolves: for asserting a failure without an unhandled rejection. */
export const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );
