import type { Clock, TimerHandle } from '@bulwark/core';
import { GeminiFailure } from '../errors/failure.js';

const UNREF = { unref: true } as const;

/** A chunk as the SDK yields it; only the fields the guard reads. */
interface Chunk {
  candidates?: ReadonlyArray<{ finishReason?: unknown }>;
  promptFeedback?: { blockReason?: unknown };
}

export interface GuardStreamOptions<T> {
  /** The first chunks, already read (reading them was the retryable part); at least one. */
  readonly head: readonly T[];
  readonly rest: AsyncIterator<T>;
  /** Aborting it stops the SDK's read of the response body. */
  readonly controller: AbortController;
  /** Longest silence between two chunks (ms); undefined = none. */
  readonly idleTimeoutMs: number | undefined;
  readonly clock: Clock;
  readonly model: string;
  /** Turns whatever the SDK threw into what the caller sees. */
  readonly toFailure: (error: unknown) => unknown;
  /** Called with each chunk before the caller gets it. */
  readonly onChunk?: (chunk: T) => void;
  /** Looks at the last chunk of a stream that ended normally: a failure to throw instead (a blocked answer). */
  readonly finalCheck?: ((last: T | undefined) => unknown) | undefined;
  /** Called once when the stream ends, however it ends; `last` is the last chunk seen. */
  readonly onEnd: (last: T | undefined, error: unknown) => void;
}

/**
 * Marks what a stream's start resolves to (its first chunk and the rest): the call's outcome is only known when
 * the stream ends, so the model's breaker defers its verdict until then.
 */
export const STREAM_START: unique symbol = /* @__PURE__ */ Symbol('bulwark.streamStart');

export function isStreamStart(value: unknown): boolean {
  return typeof value === 'object' && value !== null && STREAM_START in value;
}

/** What a stream that ended with no finishReason is reported as: a cut stream, never a silent success. */
export function incompleteStreamFailure(model: string): GeminiFailure {
  return new GeminiFailure({
    kind: 'network',
    serverMessage: 'The stream ended without a finishReason: the answer is incomplete',
    model,
  });
}

/** Whether a chunk ends the answer: a blocked prompt, or a candidate with a finishReason. */
export function isFinished(chunk: unknown): boolean {
  const c = chunk as Chunk | undefined;
  if (c?.promptFeedback?.blockReason !== undefined) return true;
  return (
    c?.candidates?.some(
      (candidate) => candidate?.finishReason !== undefined && candidate.finishReason !== null,
    ) ?? false
  );
}

/**
 * Re-yields an SDK stream after its first chunk with an idle timeout between chunks, and reports a stream that ends
 * without any finishReason (or with an in-stream error, on every SDK version) as an error. Breaking out of the loop
 * aborts the underlying request, so no socket is left reading.
 */
export async function* guardStream<T>(options: GuardStreamOptions<T>): AsyncGenerator<T, void, undefined> {
  const { rest, controller, clock, idleTimeoutMs } = options;
  let last: T | undefined;
  let sawFinish = false;
  let failure: unknown;
  try {
    for (const chunk of options.head) {
      last = chunk;
      if (isFinished(chunk)) sawFinish = true;
      options.onChunk?.(chunk);
      yield chunk;
    }
    for (;;) {
      const step = await nextWithin(rest, idleTimeoutMs, clock, controller);
      if (step.done) break;
      last = step.value;
      if (isFinished(step.value)) sawFinish = true;
      options.onChunk?.(step.value);
      yield step.value;
    }
    if (!sawFinish) throw incompleteStreamFailure(options.model);
    const refusal = options.finalCheck?.(last);
    if (refusal !== undefined) throw refusal;
  } catch (error) {
    failure = options.toFailure(error);
    throw failure;
  } finally {
    // Stops the HTTP read when the caller broke out early; a no-op once the body was consumed.
    if (!controller.signal.aborted) controller.abort(new DOMException('stream closed', 'AbortError'));
    options.onEnd(last, failure);
  }
}

/** Reads the next chunk, aborting the read if the server stays silent longer than `idleTimeoutMs`. */
function nextWithin<T>(
  iterator: AsyncIterator<T>,
  idleTimeoutMs: number | undefined,
  clock: Clock,
  controller: AbortController,
): Promise<IteratorResult<T>> {
  if (idleTimeoutMs === undefined) return iterator.next();
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const handle = clock.setTimer(() => {
      timedOut = true;
      const error = new GeminiFailure({
        kind: 'timeout',
        serverMessage: `No stream chunk for ${idleTimeoutMs} ms (idle timeout)`,
      });
      controller.abort(error);
      reject(error);
    }, idleTimeoutMs);
    iterator.next().then(
      (step) => {
        clock.clearTimer(handle);
        if (!timedOut) resolve(step);
      },
      (error) => {
        clock.clearTimer(handle);
        if (!timedOut) reject(error);
      },
    );
  });
}

export interface FirstReadOptions {
  readonly clock: Clock;
  /** How long the stream may wait for its first read (ms); undefined or Infinity = forever. */
  readonly withinMs: number | undefined;
  readonly model: string;
  /** The consumer left before reading (`return()` / `throw()`): close the request; the call ended well. */
  readonly onLeftUnread: () => void;
  /** Nobody read the stream within `withinMs`: close the request with `failure`; nothing is counted. */
  readonly onNeverRead: (failure: GeminiFailure) => void;
}

/**
 * The stream the caller gets: `inner` (a guardStream generator), plus what a generator cannot do before its first
 * read. A generator's `return()` before any `next()` never runs its body, so its `finally` would not close the
 * request; and a stream that is never read would keep its response streaming, and its listener on the caller's
 * signal, until the server ends. So: `return()` / `throw()` before the first read close it at once, and a stream
 * not read within `withinMs` (the idle timeout) is closed by an unref'd timer; a later read gets that failure.
 *
 * @internal
 */
export class FirstReadGuard<T> implements AsyncGenerator<T, void, undefined> {
  private started = false;
  /** Set once closed before the first read; `pending` is the failure the next read still has to get. */
  private closed: { pending: unknown } | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly inner: AsyncGenerator<T, void, undefined>,
    private readonly options: FirstReadOptions,
  ) {
    const ms = options.withinMs;
    if (ms !== undefined && Number.isFinite(ms)) this.timer = options.clock.setTimer(this.expire, ms, UNREF);
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    if (this.started || this.closed !== undefined) return;
    const failure = new GeminiFailure({
      kind: 'timeout',
      serverMessage: `The stream was not read within ${this.options.withinMs} ms (idle timeout): its request was closed`,
      model: this.options.model,
    });
    this.closed = { pending: failure };
    this.options.onNeverRead(failure);
  };

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  next(): Promise<IteratorResult<T, void>> {
    if (!this.started && this.closed === undefined) {
      this.clearTimer();
      this.started = true;
    }
    if (this.started) return this.inner.next();
    // Closed unread: the first read after it gets why, the later ones are done.
    const failure = this.closed!.pending;
    this.closed!.pending = undefined;
    return failure === undefined
      ? Promise.resolve({ done: true, value: undefined })
      : Promise.reject(failure);
  }

  return(value?: void | PromiseLike<void>): Promise<IteratorResult<T, void>> {
    if (this.started) return this.inner.return(value);
    this.leaveUnread();
    return Promise.resolve(value).then((v) => ({ done: true, value: v }));
  }

  throw(error?: unknown): Promise<IteratorResult<T, void>> {
    if (this.started) return this.inner.throw(error);
    this.leaveUnread();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The consumer is done before its first read: close the request (once); the stream stays done. */
  private leaveUnread(): void {
    if (this.closed !== undefined) {
      this.closed.pending = undefined;
      return;
    }
    this.clearTimer();
    this.closed = { pending: undefined };
    this.options.onLeftUnread();
  }
}
