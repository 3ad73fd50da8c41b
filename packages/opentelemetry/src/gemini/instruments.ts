import type { Counter, Histogram, Meter, ObservableGauge } from '@opentelemetry/api';
import { GEMINI_METRICS } from '../names.js';

/** The GenAI conventions' advised buckets: operation durations (s) and token counts. */
const OPERATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const PAUSE_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export interface GeminiInstruments {
  readonly operationDuration: Histogram;
  readonly tokenUsage: Histogram;
  readonly requests: Counter;
  readonly retries: Counter;
  readonly failovers: Counter;
  readonly waits: Counter;
  readonly pauseDuration: Histogram;
  readonly quotaExhaustions: Counter;
  readonly quotaExhausted: ObservableGauge;
}

export function createGeminiInstruments(meter: Meter): GeminiInstruments {
  const m = GEMINI_METRICS;
  return {
    operationDuration: meter.createHistogram(m.operationDuration.name, {
      unit: m.operationDuration.unit,
      description: 'GenAI operation duration: a call as its caller saw it, retries and failovers included.',
      advice: { explicitBucketBoundaries: OPERATION_BUCKETS },
    }),
    tokenUsage: meter.createHistogram(m.tokenUsage.name, {
      unit: m.tokenUsage.unit,
      description: 'Input and output tokens per call, from the usageMetadata of the answer.',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    requests: meter.createCounter(m.requests.name, {
      unit: m.requests.unit,
      description: 'HTTP requests handed to the SDK, every attempt on every model.',
    }),
    retries: meter.createCounter(m.retries.name, {
      unit: m.retries.unit,
      description: 'Retries on the same model, by the failure kind retried.',
    }),
    failovers: meter.createCounter(m.failovers.name, {
      unit: m.failovers.unit,
      description: 'Moves from a model to the next one of its fallbacks, by reason.',
    }),
    waits: meter.createCounter(m.waits.name, {
      unit: m.waits.unit,
      description: 'Local waits before a request: for a limit, a concurrency slot or a 429 pause.',
    }),
    pauseDuration: meter.createHistogram(m.pauseDuration.name, {
      unit: m.pauseDuration.unit,
      description: 'Pauses a 429 imposed on every caller of a model.',
      advice: { explicitBucketBoundaries: PAUSE_BUCKETS },
    }),
    quotaExhaustions: meter.createCounter(m.quotaExhaustions.name, {
      unit: m.quotaExhaustions.unit,
      description: "Marks of a model's daily quota as spent (the API's daily 429, or the client's own rpd).",
    }),
    quotaExhausted: meter.createObservableGauge(m.quotaExhausted.name, {
      unit: m.quotaExhausted.unit,
      description: "1 while a model's daily quota is spent (skipped until midnight Pacific), else 0.",
    }),
  };
}
