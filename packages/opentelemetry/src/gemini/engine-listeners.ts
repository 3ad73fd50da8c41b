import type { Attributes } from '@opentelemetry/api';
import type { PolicyInstruments } from '../instruments.js';
import { ATTR, SPAN_EVENTS, seconds } from '../names.js';
import { recordingSpan } from '../span-events.js';
import type { EnginePayloads, GeminiEngine } from './engine.js';
import type { GeminiInstruments } from './instruments.js';

/** What the engine's listeners report to. */
export interface EngineSink {
  readonly gemini: GeminiInstruments;
  readonly policy: PolicyInstruments;
  readonly pipeline: string;
  readonly tracesOn: boolean;
  /** Called with every model an event names: the models whose state the gauges read. */
  readonly seen: (model: string) => void;
}

type Listeners = { [E in keyof EnginePayloads]?: (payload: EnginePayloads[E]) => void };

/**
 * Listens to the adapter's events: each becomes a count (by model, kind, reason) and an event on the span
 * active when it was emitted, the call's own span (the adapter emits them within the call). Returns the remover.
 */
export function listenToEngine(engine: GeminiEngine, sink: EngineSink): () => void {
  const { gemini, policy, pipeline, tracesOn } = sink;
  const of = (model: string, more?: Attributes): Attributes => ({
    [ATTR.pipeline]: pipeline,
    [ATTR.genAiRequestModel]: model,
    ...more,
  });
  const event = (name: string, attributes: Attributes): void => {
    recordingSpan(tracesOn)?.addEvent(name, attributes);
  };
  const listeners: Listeners = {
    request: (e) => {
      sink.seen(e.model);
      gemini.requests.add(1, of(e.model));
      event(SPAN_EVENTS.geminiRequest, {
        [ATTR.genAiRequestModel]: e.model,
        [ATTR.attempt]: e.attempt,
        [ATTR.geminiStream]: e.stream,
      });
    },
    retry: (e) => {
      gemini.retries.add(1, of(e.model, { [ATTR.errorType]: e.kind, [ATTR.delaySource]: e.delaySource }));
      event(SPAN_EVENTS.geminiRetry, {
        [ATTR.genAiRequestModel]: e.model,
        [ATTR.attempt]: e.attempt,
        [ATTR.delay]: seconds(e.delay),
        [ATTR.delaySource]: e.delaySource,
        [ATTR.errorType]: e.kind,
      });
    },
    wait: (e) => {
      gemini.waits.add(1, of(e.model, { [ATTR.geminiWaitReason]: e.reason }));
      event(SPAN_EVENTS.geminiWait, {
        [ATTR.genAiRequestModel]: e.model,
        [ATTR.geminiWaitReason]: e.reason,
        ...(e.delay === undefined ? {} : { [ATTR.delay]: seconds(e.delay) }),
      });
    },
    paused: (e) => {
      gemini.pauseDuration.record(seconds(e.duration), of(e.model));
      event(SPAN_EVENTS.geminiPause, {
        [ATTR.genAiRequestModel]: e.model,
        [ATTR.duration]: seconds(e.duration),
      });
    },
    failover: (e) => {
      sink.seen(e.to);
      gemini.failovers.add(1, of(e.from, { [ATTR.failoverTo]: e.to, [ATTR.failoverReason]: e.reason }));
      event(SPAN_EVENTS.geminiFailover, {
        [ATTR.genAiRequestModel]: e.from,
        [ATTR.failoverTo]: e.to,
        [ATTR.failoverReason]: e.reason,
      });
    },
    breakerState: (e) => {
      sink.seen(e.model);
      policy.circuitTransitions.add(
        1,
        of(e.model, { [ATTR.circuitState]: e.to, [ATTR.previousCircuitState]: e.from }),
      );
      event(SPAN_EVENTS.geminiCircuitTransition, {
        [ATTR.genAiRequestModel]: e.model,
        [ATTR.circuitState]: e.to,
        [ATTR.previousCircuitState]: e.from,
      });
    },
    quotaExhausted: (e) => {
      sink.seen(e.model);
      gemini.quotaExhaustions.add(1, of(e.model));
      event(SPAN_EVENTS.geminiQuotaExhausted, {
        [ATTR.genAiRequestModel]: e.model,
        [ATTR.until]: new Date(e.until).toISOString(),
        ...(e.quotaId === undefined ? {} : { [ATTR.quotaId]: e.quotaId }),
      });
    },
    // The call's outcome, on its span: how many requests and failovers it took.
    success: (e) => recordingSpan(tracesOn)?.setAttributes(callCounts(e)),
    failure: (e) => recordingSpan(tracesOn)?.setAttributes(callCounts(e)),
  };
  const entries = Object.entries(listeners) as Array<[string, (payload: never) => void]>;
  for (const [name, listener] of entries) engine.events.on(name, listener);
  return () => {
    for (const [name, listener] of entries) engine.events.off(name, listener);
  };
}

function callCounts(e: { attempts: number; failovers: number }): Attributes {
  return { [ATTR.geminiAttempts]: e.attempts, [ATTR.geminiFailovers]: e.failovers };
}
