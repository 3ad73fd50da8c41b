import { type Attributes, type Span, trace } from '@opentelemetry/api';

/**
 * The span that events go to: the one active in the current context (the caller's, when a policy reports during
 * its execution), if it records. Undefined when traces are off, when no span is active (no SDK, or no context
 * manager carrying it) or when it is not sampled, so that nothing builds an event's attributes for nobody.
 */
export function recordingSpan(tracesOn: boolean): Span | undefined {
  if (!tracesOn) return undefined;
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

/** Adds `name` with `attributes` to the active recording span, if any (see `recordingSpan`). */
export function addSpanEvent(tracesOn: boolean, name: string, attributes: Attributes): void {
  recordingSpan(tracesOn)?.addEvent(name, attributes);
}
