import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { errorType } from '../error-type.js';
import { ATTR } from '../names.js';
import { callAttributes, laterUsage, type Method, OPERATIONS, type Usage, usageOf } from './genai.js';
import type { GeminiInstruments } from './instruments.js';

/** What the wrapped methods report to. */
export interface CallSink {
  readonly instruments: GeminiInstruments;
  readonly provider: string;
  /** undefined: no spans. */
  readonly tracer: Tracer | undefined;
  readonly now: () => number;
  readonly seen: (model: string) => void;
}

const NO_USAGE: Usage = { responseModel: undefined, inputTokens: undefined, outputTokens: undefined };

/** One call in progress: its span, its start, and what it reports when it ends. */
class Call {
  private readonly started: number;
  private readonly span: Span | undefined;
  readonly attributes: Attributes;
  private ended = false;

  constructor(
    private readonly sink: CallSink,
    operation: string,
    requested: string,
  ) {
    this.attributes = callAttributes(operation, sink.provider, requested);
    this.started = sink.now();
    this.span = sink.tracer?.startSpan(`${operation} ${requested}`, {
      kind: SpanKind.CLIENT,
      attributes: this.attributes,
    });
  }

  /** Runs `fn` with the call's span active, so the adapter's events land on it. */
  run<T>(fn: () => T): T {
    return this.span === undefined ? fn() : context.with(trace.setSpan(context.active(), this.span), fn);
  }

  succeeded(usage: Usage): void {
    if (this.ended) return;
    this.ended = true;
    const { instruments } = this.sink;
    const attributes =
      usage.responseModel === undefined
        ? this.attributes
        : { ...this.attributes, [ATTR.genAiResponseModel]: usage.responseModel };
    instruments.operationDuration.record(this.elapsed(), attributes);
    if (usage.inputTokens !== undefined) {
      instruments.tokenUsage.record(usage.inputTokens, { ...attributes, [ATTR.genAiTokenType]: 'input' });
    }
    if (usage.outputTokens !== undefined) {
      instruments.tokenUsage.record(usage.outputTokens, { ...attributes, [ATTR.genAiTokenType]: 'output' });
    }
    if (this.span !== undefined) {
      this.span.setAttributes({
        ...(usage.responseModel === undefined ? {} : { [ATTR.genAiResponseModel]: usage.responseModel }),
        ...(usage.inputTokens === undefined ? {} : { [ATTR.genAiInputTokens]: usage.inputTokens }),
        ...(usage.outputTokens === undefined ? {} : { [ATTR.genAiOutputTokens]: usage.outputTokens }),
      });
      this.span.end();
    }
  }

  failed(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const type = errorType(error);
    this.sink.instruments.operationDuration.record(this.elapsed(), {
      ...this.attributes,
      [ATTR.errorType]: type,
    });
    if (this.span !== undefined) {
      this.span.setAttribute(ATTR.errorType, type);
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : undefined,
      });
      this.span.end();
    }
  }

  private elapsed(): number {
    return (this.sink.now() - this.started) / 1000;
  }
}

/** The model a call asks for, or undefined (the adapter refuses the call; nothing is reported then). */
function requestedOf(params: unknown): string | undefined {
  const model = (params as { model?: unknown } | null | undefined)?.model;
  return typeof model === 'string' && model !== '' ? model : undefined;
}

/** Starts the call; a method that throws at once (instead of rejecting) still ends its span, and throws as it did. */
function started<T>(call: Call, start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    call.failed(error);
    throw error;
  }
}

/** A unary method (generateContent, embedContent, countTokens) that reports each call. */
export function observeUnary(
  method: Method,
  original: (params: unknown) => Promise<unknown>,
  sink: CallSink,
): (params: unknown) => Promise<unknown> {
  const operation = OPERATIONS[method];
  return (params) => {
    const requested = requestedOf(params);
    if (requested === undefined) return original(params);
    sink.seen(requested);
    const call = new Call(sink, operation, requested);
    return call
      .run(() => started(call, () => original(params)))
      .then(
        (response) => {
          call.succeeded(method === 'countTokens' ? NO_USAGE : usageOf(response));
          return response;
        },
        (error: unknown) => {
          call.failed(error);
          throw error;
        },
      );
  };
}

/**
 * generateContentStream: the call lasts until the stream ends (read to its end, closed early, or failed); its
 * usage is what its last chunks say. The stream object is the adapter's own (so `resilienceInfo` still works on
 * it): its `next`, `return` and `throw` are observed in place.
 */
export function observeStream(
  original: (params: unknown) => Promise<AsyncGenerator<unknown>>,
  sink: CallSink,
): (params: unknown) => Promise<AsyncGenerator<unknown>> {
  return (params) => {
    const requested = requestedOf(params);
    if (requested === undefined) return original(params);
    sink.seen(requested);
    const call = new Call(sink, OPERATIONS.generateContentStream, requested);
    return call
      .run(() => started(call, () => original(params)))
      .then(
        (stream) => {
          observeChunks(stream, call);
          return stream;
        },
        (error: unknown) => {
          call.failed(error);
          throw error;
        },
      );
  };
}

function observeChunks(stream: AsyncGenerator<unknown>, call: Call): void {
  let usage = NO_USAGE;
  const settle = (result: Promise<IteratorResult<unknown>>): Promise<IteratorResult<unknown>> =>
    result.then(
      (step) => {
        if (step.done) call.succeeded(usage);
        else usage = laterUsage(usage, usageOf(step.value));
        return step;
      },
      (error: unknown) => {
        call.failed(error);
        throw error;
      },
    );
  const next = stream.next.bind(stream);
  const close = stream.return.bind(stream);
  const fail = stream.throw.bind(stream);
  Object.defineProperties(stream, {
    next: { value: (...args: [] | [unknown]) => call.run(() => settle(next(...args))), configurable: true },
    return: { value: (value?: unknown) => settle(close(value)), configurable: true },
    throw: { value: (error?: unknown) => settle(fail(error)), configurable: true },
  });
}
