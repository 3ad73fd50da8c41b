import { InvalidOptionError } from '@bulwark/core';
import type { Attributes, BatchObservableCallback, Observable } from '@opentelemetry/api';
import type { StopInstrumentation } from '../instrument.js';
import { createPolicyInstruments, type PolicyInstruments } from '../instruments.js';
import { ATTR, SCOPE, SCOPE_VERSION } from '../names.js';
import { type InstrumentOptions, resolveOptions } from '../options.js';
import { observeStream, observeUnary } from './calls.js';
import { engineOf, type GeminiEngine } from './engine.js';
import { listenToEngine } from './engine-listeners.js';
import { providerOf } from './genai.js';
import { createGeminiInstruments, type GeminiInstruments } from './instruments.js';

const INSTRUMENTED = /* @__PURE__ */ Symbol.for('bulwark.opentelemetry.gemini');
const UNARY = ['generateContent', 'embedContent', 'countTokens'] as const;
const CIRCUIT_STATES = ['closed', 'open', 'halfOpen', 'isolated'] as const;

type Models = Record<string, ((params: unknown) => Promise<unknown>) | undefined>;

/**
 * Reports a Gemini client made resilient with `withResilience` (from `@bulwark/gemini-adapter`) through
 * OpenTelemetry: each call as the GenAI conventions describe it (`gen_ai.client.operation.duration`,
 * `gen_ai.client.token.usage` from `usageMetadata`, a CLIENT span with the requested and responding model and
 * `error.type`), and per model what the adapter did (requests, retries, failovers, waits, 429 pauses, daily quota
 * marks, breaker state, concurrency limit), the events of a call on its span. Returns what stops it (the client's
 * methods are given back). docs/observability.md lists every name.
 *
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming `ai` when the client was not made resilient with
 * `withResilience` or is instrumented already (stop that first), or naming the option when an option is invalid
 * (as {@link instrument}'s).
 */
export function instrumentGemini(ai: object, options?: InstrumentOptions): StopInstrumentation {
  const engine = engineOf(ai);
  if ((ai as { [INSTRUMENTED]?: boolean })[INSTRUMENTED] === true) {
    throw new InvalidOptionError('ai', 'instrumentGemini was already applied to this client (stop it first)');
  }
  const settings = resolveOptions(options);
  const pipeline = settings.name ?? 'gemini';
  const tracesOn = settings.tracerProvider !== undefined;
  const policy = createPolicyInstruments(settings.meter);
  const gemini = createGeminiInstruments(settings.meter);
  const models = new Set<string>();
  const seen = (model: string): void => {
    models.add(model);
  };

  const stopListening = listenToEngine(engine, { gemini, policy, pipeline, tracesOn, seen });
  const observables: Observable[] = [
    policy.circuitState,
    policy.concurrencyLimit,
    policy.concurrencyInFlight,
    policy.concurrencyQueued,
    gemini.quotaExhausted,
  ];
  const callback: BatchObservableCallback = (result) => {
    for (const model of models)
      observeModel(engine, model, pipeline, policy, gemini, result.observe.bind(result));
  };
  settings.meter.addBatchObservableCallback(callback, observables);

  const sink = {
    instruments: gemini,
    provider: providerOf(ai),
    tracer: settings.tracerProvider?.getTracer(SCOPE, SCOPE_VERSION),
    now: () => engine.clock.now(),
    seen,
  };
  const target = (ai as { models: Models }).models;
  const originals = new Map<string, (params: unknown) => Promise<unknown>>();
  const wrappers = new Map<string, (params: unknown) => Promise<unknown>>();
  for (const method of UNARY) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    originals.set(method, original);
    wrappers.set(method, observeUnary(method, original, sink));
  }
  const streamOriginal = target.generateContentStream as (
    params: unknown,
  ) => Promise<AsyncGenerator<unknown>>;
  originals.set('generateContentStream', streamOriginal);
  wrappers.set(
    'generateContentStream',
    observeStream(streamOriginal, sink) as (params: unknown) => Promise<unknown>,
  );
  for (const [method, wrapper] of wrappers) target[method] = wrapper;
  Object.defineProperty(ai, INSTRUMENTED, { value: true, configurable: true });

  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    // Give a method back only if nobody replaced our wrapper since.
    for (const [method, wrapper] of wrappers)
      if (target[method] === wrapper) target[method] = originals.get(method);
    stopListening();
    settings.meter.removeBatchObservableCallback(callback, observables);
    Reflect.deleteProperty(ai, INSTRUMENTED);
  };
}

/** One model's breaker state, concurrency and daily quota, read at collection. */
function observeModel(
  engine: GeminiEngine,
  model: string,
  pipeline: string,
  policy: PolicyInstruments,
  gemini: GeminiInstruments,
  observe: (instrument: Observable, value: number, attributes: Attributes) => void,
): void {
  const state = engine.model(model);
  const of: Attributes = { [ATTR.pipeline]: pipeline, [ATTR.genAiRequestModel]: model };
  const breaker = state.breaker;
  if (breaker !== undefined) {
    for (const s of CIRCUIT_STATES) {
      observe(policy.circuitState, s === breaker.state ? 1 : 0, { ...of, [ATTR.circuitState]: s });
    }
  }
  const concurrency = state.concurrency?.stats();
  if (concurrency !== undefined) {
    observe(policy.concurrencyLimit, concurrency.limit, of);
    observe(policy.concurrencyInFlight, concurrency.inFlight, of);
    observe(policy.concurrencyQueued, concurrency.queued, of);
  }
  const until = state.exhaustedUntil();
  observe(gemini.quotaExhausted, until !== undefined && until > engine.clock.now() ? 1 : 0, of);
}
