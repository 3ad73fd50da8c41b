import { InvalidOptionError } from '@bulwark/core';
import { requireNonEmptyString } from '@bulwark/core/validate';
import { blockedFailureOf } from '../errors/blocked.js';
import { hasContent } from '../errors/empty.js';
import { GeminiFailure } from '../errors/failure.js';
import { parseGeminiError } from '../errors/parse.js';
import { recordInfo } from './call-info.js';
import { withActualTokens } from './model-limits.js';
import { type GeminiResilienceOptions, resolveOptions } from './options.js';
import type { PromptCounter } from './context-window.js';
import { type CallState, GeminiResilience } from './resilience.js';
import { FirstReadGuard, guardStream, incompleteStreamFailure, isFinished, STREAM_START } from './stream.js';
import { type ClientModels, clientModels, Target } from './target.js';
import { estimateInputTokens, promptTokensOf } from './tokens.js';

/** The part of a `GoogleGenAI` instance the adapter touches; 2.x and 3.x both have it. */
interface ModelsLike {
  generateContent: (params: any) => Promise<any>;
  generateContentStream: (params: any) => Promise<AsyncGenerator<any>>;
  countTokens: (params: any) => Promise<any>;
  embedContent: (params: any) => Promise<any>;
}

interface ClientLike {
  models: ModelsLike;
}

interface Params {
  model?: unknown;
  config?: { abortSignal?: AbortSignal; httpOptions?: Record<string, unknown> } & Record<string, unknown>;
}

/** Where a wrapped client keeps its engine; a registered symbol, read by `@bulwark/opentelemetry`'s instrumentGemini. */
const RESILIENCE = /* @__PURE__ */ Symbol.for('bulwark.gemini.resilience');

/**
 * Makes `ai` resilient in place and returns it (same object, same type): `ai.models.generateContent`,
 * `generateContentStream`, `countTokens`, `embedContent`, and chats created from `ai.chats` (they call those
 * functions), run through per-model retries, breakers, limits and failover. `resilienceOf(ai)` gives its
 * events and counters.
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call). Also when `ai` is not a GoogleGenAI client.
 */
export function withResilience<T extends object>(ai: T, options?: GeminiResilienceOptions): T {
  if (typeof ai !== 'object' || ai === null) {
    throw new InvalidOptionError('ai', 'expected a GoogleGenAI instance, got no client');
  }
  const models = (ai as Partial<ClientLike>).models;
  if (
    typeof models !== 'object' ||
    models === null ||
    typeof models.generateContent !== 'function' ||
    typeof models.generateContentStream !== 'function'
  ) {
    throw new InvalidOptionError('ai', 'expected a GoogleGenAI instance (with ai.models.generateContent)');
  }
  if ((ai as { [RESILIENCE]?: unknown })[RESILIENCE] !== undefined) {
    throw new InvalidOptionError('ai', 'withResilience was already applied to this client');
  }
  const resolved = resolveOptions(options);
  const original = clientModels(models as unknown as Record<string, unknown>);
  const targets = [
    new Target(resolved.project ?? 'default', resolved.project, original, 0),
    ...resolved.targets.map(
      (t, i) => new Target(t.name, t.project, clientModels((t.client as ClientLike).models as never), i + 1),
    ),
  ];
  const engine = new GeminiResilience(resolved, targets);

  models.generateContent = (params: Params) => unary(engine, params, true, (m) => m.generateContent);
  models.generateContentStream = (params: Params) => stream(engine, params);
  if (original.countTokens) {
    models.countTokens = (params: Params) => unary(engine, params, false, (m) => m.countTokens!);
  }
  if (original.embedContent) {
    models.embedContent = (params: Params) => unary(engine, params, false, (m) => m.embedContent!);
  }
  Object.defineProperty(ai, RESILIENCE, { value: engine, enumerable: false });
  return ai;
}

/**
 * The events, counters and per-model state behind a client made resilient with `withResilience`.
 * @throws `InvalidOptionError` when `ai` was not made resilient with {@link withResilience}.
 */
export function resilienceOf(ai: object): GeminiResilience {
  const engine = (ai as { [RESILIENCE]?: GeminiResilience })[RESILIENCE];
  if (engine === undefined) {
    throw new InvalidOptionError('ai', 'this client was not made resilient with withResilience');
  }
  return engine;
}

function requestedModel(params: Params): string {
  return requireNonEmptyString('params.model', (params as Partial<Params> | null | undefined)?.model);
}

/** The SDK's parameters for one attempt: our model and signal, and the SDK's own retries off. */
function attemptParams(params: Params, model: string, signal: AbortSignal): Params {
  const config = params.config ?? {};
  return {
    ...params,
    model,
    config: {
      ...config,
      abortSignal: signal,
      // One retry loop only: ours. (The SDK retries nothing unless retryOptions is set, but a client may set it.)
      httpOptions: { ...config.httpOptions, retryOptions: { attempts: 1 } },
    },
  };
}

/**
 * Counts a prompt for the context-window guard: countTokens on its contents (the Gemini API counts no config
 * there), plus the estimate of its system instruction.
 */
function promptCounter(params: Params): PromptCounter {
  const system = params.config?.systemInstruction;
  const extra = system === undefined ? 0 : estimateInputTokens({ contents: system });
  return async (models, model, signal) => {
    if (models.countTokens === undefined) return undefined;
    const counted = await models.countTokens({
      model,
      contents: (params as { contents?: unknown }).contents,
      config: { abortSignal: signal, httpOptions: { retryOptions: { attempts: 1 } } },
    });
    const total = (counted as { totalTokens?: unknown } | null | undefined)?.totalTokens;
    return typeof total === 'number' && Number.isFinite(total) && total >= 0 ? total + extra : undefined;
  };
}

async function unary(
  engine: GeminiResilience,
  params: Params,
  limited: boolean,
  method: (models: ClientModels) => (params: Params) => Promise<unknown>,
): Promise<any> {
  const requested = requestedModel(params);
  const { value, state } = await engine.run({
    requested,
    callerSignal: params.config?.abortSignal,
    stream: false,
    tokens: limited ? estimateInputTokens(params as { contents?: unknown }) : undefined,
    send: (models, model, signal) => method(models)(attemptParams(params, model, signal)),
    count: limited && engine.options.contextWindow !== false ? promptCounter(params) : undefined,
    // Only generateContent answers can be empty or blocked.
    check: limited ? (response, model) => engine.answerFailure(response, model) : undefined,
  });
  if (limited) settleTokens(state, promptTokensOf(value));
  return value;
}

/** Corrects the limiter's token estimate with what the server counted (the rest of the cost stands). */
function settleTokens(state: CallState, tokens: number | undefined): void {
  const costed = state.costed;
  if (tokens === undefined || costed === undefined) return;
  costed.reconcile(withActualTokens(costed.cost as Readonly<Record<string, number>>, tokens)).catch(() => {});
}

/**
 * A started stream: its first chunks (already read: the first one, or, when empty streams are checked, every
 * chunk up to the first with content or a finishReason) and the rest.
 */
interface StreamStart {
  readonly [STREAM_START]: true;
  readonly head: readonly unknown[];
  readonly rest: AsyncIterator<unknown>;
  readonly controller: AbortController;
  readonly detach: () => void;
  readonly model: string;
}

async function stream(engine: GeminiResilience, params: Params): Promise<AsyncGenerator<any>> {
  const requested = requestedModel(params);
  const callerSignal = params.config?.abortSignal;
  const {
    value: start,
    info,
    state,
    started,
  } = await engine.run<StreamStart>({
    requested,
    callerSignal,
    stream: true,
    tokens: estimateInputTokens(params as { contents?: unknown }),
    send: (models, model, signal) =>
      startStream(
        params,
        model,
        signal,
        callerSignal,
        models.generateContentStream,
        engine.options.responseCheck.empty !== 'return',
      ),
    count: engine.options.contextWindow !== false ? promptCounter(params) : undefined,
    check: (begun, model) => {
      // Nothing reached the caller yet: an empty or blocked start is retried or failed over like an answer.
      const failure = engine.answerFailure(begun.head[begun.head.length - 1], model);
      if (failure !== undefined) closeStart(begun);
      return failure;
    },
  });
  const blocked = engine.options.responseCheck.blocked;
  const onEnd = (last: unknown, error: unknown): void => {
    start.detach();
    settleTokens(state, promptTokensOf(last));
    engine.finishStream(info, state, started, error, callerSignal?.aborted === true);
  };
  const chunks = guardStream({
    head: start.head,
    rest: start.rest,
    controller: start.controller,
    idleTimeoutMs: engine.options.idleTimeout,
    clock: engine.clock,
    model: start.model,
    toFailure: (error) =>
      callerSignal?.aborted
        ? callerSignal.reason
        : parseGeminiError(error, { signal: start.controller.signal, model: start.model }),
    onChunk: (chunk) => recordInfo(chunk, info),
    // A block after chunks reached the caller cannot be retried: unless blocks are returned, it ends in an error.
    finalCheck: blocked === 'return' ? undefined : (last) => blockedFailureOf(last, { model: start.model }),
    onEnd,
  });
  const guarded = new FirstReadGuard(chunks, {
    clock: engine.clock,
    withinMs: engine.options.idleTimeout,
    model: start.model,
    // Left before its first read, like a break out of the loop: closed, and the call ended well.
    onLeftUnread: () => {
      closeStart(start);
      onEnd(start.head[start.head.length - 1], undefined);
    },
    // Never read: closed; nobody saw how it went, so it is not counted.
    onNeverRead: (failure) => {
      start.detach();
      if (!start.controller.signal.aborted) start.controller.abort(failure);
    },
  });
  recordInfo(guarded, info);
  return guarded;
}

/** Closes a started stream nobody will read (its start was refused by the response check). */
function closeStart(start: StreamStart): void {
  start.detach();
  if (!start.controller.signal.aborted)
    start.controller.abort(new DOMException('stream closed', 'AbortError'));
}

/**
 * One attempt at a stream: sends the request and reads the first chunk (the part that may be retried). The
 * stream's own controller follows the attempt's signal until the first chunk arrived, and the caller's for the
 * whole stream; `detach` removes those links once the stream ends.
 */
async function startStream(
  params: Params,
  model: string,
  attemptSignal: AbortSignal,
  callerSignal: AbortSignal | undefined,
  send: (params: Params) => Promise<AsyncGenerator<unknown>>,
  readToContent: boolean,
): Promise<StreamStart> {
  const controller = new AbortController();
  const onAttemptAbort = (): void => controller.abort(attemptSignal.reason);
  const onCallerAbort = (): void => controller.abort(callerSignal!.reason);
  attemptSignal.addEventListener('abort', onAttemptAbort, { once: true });
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const detach = (): void => {
    attemptSignal.removeEventListener('abort', onAttemptAbort);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  };
  try {
    const iterable = await send(attemptParams(params, model, controller.signal));
    const rest = iterable[Symbol.asyncIterator]();
    const head: unknown[] = [];
    for (;;) {
      const step = await rest.next();
      // Closed before a chunk with content or a finishReason: cut, and nothing reached the caller yet.
      if (step.done) throw incompleteStreamFailure(model);
      head.push(step.value);
      // To know whether a stream is empty, read on (within the first-chunk timeout) to its first content.
      if (!readToContent || hasContent(step.value) || isFinished(step.value)) break;
    }
    // The attempt gave up meanwhile (its timeout fired): nobody will read this stream.
    if (attemptSignal.aborted) throw attemptSignal.reason;
    attemptSignal.removeEventListener('abort', onAttemptAbort);
    return { [STREAM_START]: true, head, rest, controller, detach, model };
  } catch (error) {
    detach();
    if (!controller.signal.aborted) controller.abort(new DOMException('attempt failed', 'AbortError'));
    // Keep the attempt's own classification (e.g. a timeout) when the SDK only saw our abort.
    if (attemptSignal.aborted && error !== attemptSignal.reason && !(error instanceof GeminiFailure)) {
      throw attemptSignal.reason;
    }
    throw error;
  }
}
