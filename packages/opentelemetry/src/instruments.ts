import type { Counter, Histogram, Meter, ObservableGauge, ObservableUpDownCounter } from '@opentelemetry/api';
import { METRICS } from './names.js';

/**
 * Bucket boundaries (s) for the durations of calls and waits: from 5 ms to 10 min, so that a backoff of seconds
 * and a 429's pause of a minute land in buckets of their own (an SDK view may override them).
 */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Every instrument of the policy instrumentation, created once per `instrument()` call. */
export interface PolicyInstruments {
  readonly executionDuration: Histogram;
  readonly attemptDuration: Histogram;
  readonly retries: Counter;
  readonly giveUps: Counter;
  readonly rejections: Counter;
  readonly timeouts: Counter;
  readonly fallbacks: Counter;
  readonly hedges: Counter;
  readonly circuitTransitions: Counter;
  readonly circuitThresholdsExceeded: Counter;
  readonly queued: Counter;
  readonly queueWait: Histogram;
  readonly pauseDuration: Histogram;
  readonly limitChanges: Counter;
  readonly circuitState: ObservableGauge;
  readonly bulkheadExecuting: ObservableUpDownCounter;
  readonly bulkheadQueued: ObservableUpDownCounter;
  readonly rateLimitWaiting: ObservableUpDownCounter;
  readonly concurrencyLimit: ObservableGauge;
  readonly concurrencyInFlight: ObservableUpDownCounter;
  readonly concurrencyQueued: ObservableUpDownCounter;
}

/** A metric's name and unit (from names.ts). */
interface Named {
  readonly name: string;
  readonly unit: string;
}

/** The instrument factories of one meter, each taking a name and unit from names.ts and a description. */
export function instrumentMakers(meter: Meter) {
  return {
    histogram: (m: Named, description: string, buckets: readonly number[] = DURATION_BUCKETS): Histogram =>
      meter.createHistogram(m.name, {
        unit: m.unit,
        description,
        advice: { explicitBucketBoundaries: [...buckets] },
      }),
    counter: (m: Named, description: string): Counter =>
      meter.createCounter(m.name, { unit: m.unit, description }),
    gauge: (m: Named, description: string): ObservableGauge =>
      meter.createObservableGauge(m.name, { unit: m.unit, description }),
    upDown: (m: Named, description: string): ObservableUpDownCounter =>
      meter.createObservableUpDownCounter(m.name, { unit: m.unit, description }),
  };
}

export function createPolicyInstruments(meter: Meter): PolicyInstruments {
  const { histogram, counter, gauge, upDown } = instrumentMakers(meter);
  return {
    executionDuration: histogram(
      METRICS.executionDuration,
      'Duration of executions through the policy, retries and waits included, by outcome.',
    ),
    attemptDuration: histogram(
      METRICS.attemptDuration,
      'Duration of each attempt (each call of the layer inside retry or hedge), by outcome.',
    ),
    retries: counter(METRICS.retries, 'Retries, by the error retried and where the delay came from.'),
    giveUps: counter(METRICS.giveUps, 'Executions whose retry gave up, by reason.'),
    rejections: counter(METRICS.rejections, 'Calls a policy refused without running them, by reason.'),
    timeouts: counter(METRICS.timeouts, 'Deadlines of timeout policies that passed.'),
    fallbacks: counter(METRICS.fallbacks, 'Failures a fallback replaced.'),
    hedges: counter(METRICS.hedges, 'Extra attempts started by hedging.'),
    circuitTransitions: counter(METRICS.circuitTransitions, 'Circuit breaker state changes.'),
    circuitThresholdsExceeded: counter(
      METRICS.circuitThresholdsExceeded,
      'Times a circuit breaker rule (failure ratio, slow-call ratio, failure count...) opened its circuit.',
    ),
    queued: counter(
      METRICS.queued,
      'Calls that had to wait for admission (bulkhead, rate limiter, concurrency).',
    ),
    queueWait: histogram(
      METRICS.queueWait,
      'Wait announced when a call was queued: the rate limiter projects its admission time.',
    ),
    pauseDuration: histogram(
      METRICS.pauseDuration,
      'Pauses imposed on a limiter by server feedback (a 429).',
    ),
    limitChanges: counter(METRICS.limitChanges, 'Moves of an adaptive concurrency limit, by direction.'),
    circuitState: gauge(
      METRICS.circuitState,
      'Circuits in each state (1 for the state a breaker is in, 0 for the others; for keyed policies, the count).',
    ),
    bulkheadExecuting: upDown(METRICS.bulkheadExecuting, 'Calls running inside bulkheads.'),
    bulkheadQueued: upDown(METRICS.bulkheadQueued, 'Calls waiting in bulkhead queues.'),
    rateLimitWaiting: upDown(METRICS.rateLimitWaiting, 'Calls waiting for a rate limiter to admit them.'),
    concurrencyLimit: gauge(METRICS.concurrencyLimit, 'The adaptive concurrency limit now.'),
    concurrencyInFlight: upDown(METRICS.concurrencyInFlight, 'Slots of adaptive concurrency limits taken.'),
    concurrencyQueued: upDown(METRICS.concurrencyQueued, 'Calls waiting for an adaptive concurrency slot.'),
  };
}

/** The observable instruments, for the one batch callback that reads them. */
export function observablesOf(i: PolicyInstruments) {
  return [
    i.circuitState,
    i.bulkheadExecuting,
    i.bulkheadQueued,
    i.rateLimitWaiting,
    i.concurrencyLimit,
    i.concurrencyInFlight,
    i.concurrencyQueued,
  ];
}
