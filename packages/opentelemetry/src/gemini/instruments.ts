import type { Counter, Histogram, Meter, ObservableGauge } from '@opentelemetry/api';
import { instrumentMakers } from '../instruments.js';
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
  const { histogram, counter, gauge } = instrumentMakers(meter);
  const m = GEMINI_METRICS;
  return {
    operationDuration: histogram(
      m.operationDuration,
      'GenAI operation duration: a call as its caller saw it, retries and failovers included.',
      OPERATION_BUCKETS,
    ),
    tokenUsage: histogram(
      m.tokenUsage,
      'Input and output tokens per call, from the usageMetadata of the answer.',
      TOKEN_BUCKETS,
    ),
    requests: counter(m.requests, 'HTTP requests handed to the SDK, every attempt on every model.'),
    retries: counter(m.retries, 'Retries on the same model, by the failure kind retried.'),
    failovers: counter(m.failovers, 'Moves from a model to the next one of its fallbacks, by reason.'),
    waits: counter(m.waits, 'Local waits before a request: for a limit, a concurrency slot or a 429 pause.'),
    pauseDuration: histogram(
      m.pauseDuration,
      'Pauses a 429 imposed on every caller of a model.',
      PAUSE_BUCKETS,
    ),
    quotaExhaustions: counter(
      m.quotaExhaustions,
      "Marks of a model's daily quota as spent (the API's daily 429, or the client's own rpd).",
    ),
    quotaExhausted: gauge(
      m.quotaExhausted,
      "1 while a model's daily quota is spent (skipped until midnight Pacific), else 0.",
    ),
  };
}
