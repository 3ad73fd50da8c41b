import type {
  AnyPolicy,
  AdaptiveConcurrencyPolicy,
  BulkheadPolicy,
  CircuitBreakerPolicy,
  CircuitState,
  RateLimitPolicy,
} from '@bulwark/core';
import type { Attributes, BatchObservableResult, Observable } from '@opentelemetry/api';
import type { PolicyInstruments } from './instruments.js';
import type { Layer } from './layers.js';
import type { LayerSeries } from './layer-series.js';

const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'open', 'halfOpen', 'isolated'];

/** A layer whose state is read at collection time. */
export interface GaugeSource {
  readonly layer: Layer;
  readonly series: LayerSeries;
}

/** The layers of an instrumented policy whose state the observable instruments report. */
export function gaugeSourcesOf(
  layers: readonly Layer[],
  seriesOf: (layer: Layer) => LayerSeries,
): GaugeSource[] {
  return layers
    .filter((l) => ['breaker', 'bulkhead', 'rateLimit', 'adaptiveConcurrency'].includes(l.kind))
    .map((layer) => ({ layer, series: seriesOf(layer) }));
}

/**
 * Reads every source into the observable instruments. Sources sharing an attribute set (the keys of a keyed
 * registry without the key attribute) are added up first: one observation per set, as the SDK expects. The
 * concurrency limit of such keys is their sum, the concurrency they allow together.
 */
export function observeSources(
  sources: Iterable<GaugeSource>,
  instruments: PolicyInstruments,
  result: BatchObservableResult,
): void {
  const totals = new Map<Observable, Map<Attributes, number>>();
  const add = (instrument: Observable, attributes: Attributes, value: number): void => {
    let byAttributes = totals.get(instrument);
    if (byAttributes === undefined) {
      byAttributes = new Map();
      totals.set(instrument, byAttributes);
    }
    byAttributes.set(attributes, (byAttributes.get(attributes) ?? 0) + value);
  };
  for (const { layer, series } of sources) {
    const policy: AnyPolicy = layer.policy;
    switch (layer.kind) {
      case 'breaker': {
        const state = (policy as CircuitBreakerPolicy).state;
        for (const s of CIRCUIT_STATES)
          add(instruments.circuitState, series.circuitStates.get(s), s === state ? 1 : 0);
        break;
      }
      case 'bulkhead': {
        const bulkhead = policy as BulkheadPolicy;
        add(instruments.bulkheadExecuting, series.base, bulkhead.executing);
        add(instruments.bulkheadQueued, series.base, bulkhead.queued);
        break;
      }
      case 'rateLimit':
        add(instruments.rateLimitWaiting, series.base, (policy as RateLimitPolicy).waiting());
        break;
      case 'adaptiveConcurrency': {
        const stats = (policy as AdaptiveConcurrencyPolicy).stats();
        add(instruments.concurrencyLimit, series.base, stats.limit);
        add(instruments.concurrencyInFlight, series.base, stats.inFlight);
        add(instruments.concurrencyQueued, series.base, stats.queued);
        break;
      }
      default:
        break;
    }
  }
  for (const [instrument, byAttributes] of totals) {
    for (const [attributes, value] of byAttributes) result.observe(instrument, value, attributes);
  }
}
