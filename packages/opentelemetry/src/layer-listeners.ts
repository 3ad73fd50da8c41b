import {
  type AnyPolicy,
  type FailureEvent,
  type FallbackEvent,
  type GiveUpEvent,
  type HedgeEvent,
  isExecutionRejectedError,
  type LimitChangeEvent,
  type PausedEvent,
  type PolicyEventName,
  type QueuedEvent,
  type RejectedEvent,
  type RetryEvent,
  type StateChangeEvent,
  type SuccessEvent,
  type ThresholdExceededEvent,
  type Unsubscribe,
} from '@bulwark/core';
import { errorType, rejectionErrorType } from './error-type.js';
import type { PolicyInstruments } from './instruments.js';
import { KIND_EVENTS, type Layer } from './layers.js';
import type { LayerSeries } from './layer-series.js';
import { ATTR, SPAN_EVENTS, seconds } from './names.js';
import { recordingSpan } from './span-events.js';

/** What the listeners of one layer report to. */
export interface LayerSink {
  readonly instruments: PolicyInstruments;
  readonly tracesOn: boolean;
  /** The layer's series; with the key attribute, the series of a rate limiter's per-call key. */
  readonly series: LayerSeries;
  seriesOfKey(key: string | undefined): LayerSeries;
}

type Listener = (payload: never) => void;

/**
 * Attaches to one layer the listeners of what it reports: the executions' outcomes for the outermost layer, the
 * attempts' for the layer inside retry or hedge, and its kind's own events. Returns what detaches them.
 */
export function listenToLayer(layer: Layer, sink: LayerSink): Unsubscribe[] {
  const handlers = new Map<PolicyEventName, Listener>();
  if (layer.outermost || layer.attempt) {
    handlers.set('success', outcomeListener(layer, sink, 'success') as Listener);
    handlers.set('failure', outcomeListener(layer, sink, 'failure') as Listener);
  }
  for (const event of KIND_EVENTS[layer.kind]) {
    const listener = kindListener(event, layer, sink);
    if (listener !== undefined) handlers.set(event, listener);
  }
  const policy = layer.policy as AnyPolicy;
  return [...handlers].map(([event, listener]) => policy.on(event, listener as never));
}

/** Records the outcome of an execution (outermost layer) or an attempt (the layer inside retry/hedge). */
function outcomeListener(layer: Layer, sink: LayerSink, kind: 'success' | 'failure') {
  const { instruments, series } = sink;
  return (e: SuccessEvent | FailureEvent): void => {
    let outcome: string = kind;
    let type: string | undefined;
    if (kind === 'failure') {
      const error = (e as FailureEvent).error;
      type = errorType(error);
      if (isExecutionRejectedError(error)) outcome = 'rejected';
    }
    const duration = seconds(e.duration);
    if (layer.outermost) instruments.executionDuration.record(duration, series.execution.get(outcome, type));
    if (layer.attempt) {
      instruments.attemptDuration.record(duration, series.attempt.get(outcome, type));
      const span = recordingSpan(sink.tracesOn);
      if (span !== undefined) {
        span.addEvent(SPAN_EVENTS.attempt, {
          [ATTR.policy]: e.policy,
          [ATTR.outcome]: outcome,
          [ATTR.duration]: duration,
          ...(type === undefined ? {} : { [ATTR.errorType]: type }),
        });
      }
    }
  };
}

/**
 * A refusal: counted by reason; when the refusing layer is the outermost (no `failure` follows a refusal) or the
 * attempt layer, it is also an execution or an attempt with outcome `rejected` that took no time.
 */
function rejectionListener(layer: Layer, sink: LayerSink) {
  const { instruments } = sink;
  const throttles = layer.kind === 'adaptiveConcurrency' || layer.kind === 'adaptiveThrottle';
  return (e: RejectedEvent): void => {
    instruments.rejections.add(1, sink.seriesOfKey(e.key).rejections.get(e.reason));
    if (layer.outermost || layer.attempt) {
      const type = rejectionErrorType(e.reason, throttles);
      if (layer.outermost)
        instruments.executionDuration.record(0, sink.series.execution.get('rejected', type));
      if (layer.attempt) instruments.attemptDuration.record(0, sink.series.attempt.get('rejected', type));
    }
    const span = recordingSpan(sink.tracesOn);
    if (span !== undefined) {
      span.addEvent(SPAN_EVENTS.rejection, {
        [ATTR.policy]: e.policy,
        [ATTR.rejectionReason]: e.reason,
        ...(e.retryAfterMs === undefined ? {} : { [ATTR.retryAfter]: seconds(e.retryAfterMs) }),
      });
    }
  };
}

/** The listener of one of a kind's own events. */
function kindListener(event: PolicyEventName, layer: Layer, sink: LayerSink): Listener | undefined {
  const { instruments, series, tracesOn } = sink;
  switch (event) {
    case 'rejected':
      return rejectionListener(layer, sink) as Listener;
    case 'retry':
      return ((e: RetryEvent) => {
        const type = e.error === undefined ? undefined : errorType(e.error);
        instruments.retries.add(1, series.retries.get(e.delaySource, type));
        recordingSpan(tracesOn)?.addEvent(SPAN_EVENTS.retry, {
          [ATTR.policy]: e.policy,
          [ATTR.attempt]: e.attempt,
          [ATTR.delay]: seconds(e.delay),
          [ATTR.delaySource]: e.delaySource,
          ...(type === undefined ? {} : { [ATTR.errorType]: type }),
        });
      }) as Listener;
    case 'giveUp':
      return ((e: GiveUpEvent) => {
        const type = e.error === undefined ? undefined : errorType(e.error);
        instruments.giveUps.add(1, series.giveUps.get(e.reason, type));
        recordingSpan(tracesOn)?.addEvent(SPAN_EVENTS.giveUp, {
          [ATTR.policy]: e.policy,
          [ATTR.giveUpReason]: e.reason,
          [ATTR.attempts]: e.attempts,
          ...(type === undefined ? {} : { [ATTR.errorType]: type }),
        });
      }) as Listener;
    case 'timeout':
      // Counted only: a timeout fires from a timer that calls starting together share, in the context of the one
      // that armed it, so its event could land on another call's span. The attempt's TimeoutError tells it there.
      return (() => {
        instruments.timeouts.add(1, series.base);
      }) as Listener;
    case 'fallback':
      return ((e: FallbackEvent) => {
        const type = e.error === undefined ? 'result' : errorType(e.error);
        instruments.fallbacks.add(1, series.fallbacks.get(type));
        // A fallback reports no success: outermost, it is how the execution ended.
        if (layer.outermost) {
          instruments.executionDuration.record(seconds(e.duration), series.execution.get('fallback', type));
        }
        recordingSpan(tracesOn)?.addEvent(SPAN_EVENTS.fallback, {
          [ATTR.policy]: e.policy,
          [ATTR.errorType]: type,
        });
      }) as Listener;
    case 'hedge':
      return ((e: HedgeEvent) => {
        instruments.hedges.add(1, series.base);
        recordingSpan(tracesOn)?.addEvent(SPAN_EVENTS.hedge, {
          [ATTR.policy]: e.policy,
          [ATTR.hedge]: e.hedge,
        });
      }) as Listener;
    case 'stateChange':
      return ((e: StateChangeEvent) => {
        instruments.circuitTransitions.add(1, series.transitions.get(e.to, e.from));
        recordingSpan(tracesOn)?.addEvent(SPAN_EVENTS.circuitTransition, {
          [ATTR.policy]: e.policy,
          [ATTR.circuitState]: e.to,
          [ATTR.previousCircuitState]: e.from,
        });
      }) as Listener;
    case 'thresholdExceeded':
      return ((e: ThresholdExceededEvent) => {
        instruments.circuitThresholdsExceeded.add(1, series.thresholds.get(e.threshold));
        recordingSpan(tracesOn)?.addEvent(SPAN_EVENTS.circuitThresholdExceeded, {
          [ATTR.policy]: e.policy,
          [ATTR.circuitThreshold]: e.threshold,
          [ATTR.windowCalls]: e.calls,
          [ATTR.windowFailures]: e.failures,
          [ATTR.windowSlowCalls]: e.slowCalls,
        });
      }) as Listener;
    case 'queued':
      return ((e: QueuedEvent) => {
        const keyed = sink.seriesOfKey(e.key);
        instruments.queued.add(1, keyed.base);
        if (e.delay !== undefined) instruments.queueWait.record(seconds(e.delay), keyed.base);
        recordingSpan(tracesOn)?.addEvent(SPAN_EVENTS.queued, {
          [ATTR.policy]: e.policy,
          ...(e.delay === undefined ? {} : { [ATTR.delay]: seconds(e.delay) }),
          ...(e.position === undefined ? {} : { [ATTR.position]: e.position }),
        });
      }) as Listener;
    case 'paused':
      return ((e: PausedEvent) => {
        instruments.pauseDuration.record(seconds(e.duration), sink.seriesOfKey(e.key).base);
        recordingSpan(tracesOn)?.addEvent(SPAN_EVENTS.pause, {
          [ATTR.policy]: e.policy,
          [ATTR.duration]: seconds(e.duration),
        });
      }) as Listener;
    case 'limitChange':
      return ((e: LimitChangeEvent) => {
        instruments.limitChanges.add(1, series.limitChanges.get(e.reason));
      }) as Listener;
    default:
      return undefined;
  }
}
