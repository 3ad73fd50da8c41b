import { type AnyPolicy, InvalidOptionError, KeyedPolicy, RUN, type Unsubscribe } from '@bulwark/core';
import { describe } from '@bulwark/core/validate';
import type { BatchObservableCallback } from '@opentelemetry/api';
import { type GaugeSource, gaugeSourcesOf, observeSources } from './gauges.js';
import { createPolicyInstruments, observablesOf, type PolicyInstruments } from './instruments.js';
import { listenToLayer } from './layer-listeners.js';
import { LayerSeries } from './layer-series.js';
import { type Layer, layersOf } from './layers.js';
import { type InstrumentOptions, resolveOptions, type Settings } from './options.js';

/** Stops an instrumentation: its listeners and observable callbacks are removed (calling it again does nothing). */
export type StopInstrumentation = () => void;

/**
 * Reports a policy's metrics (and span events) through OpenTelemetry: any policy, a pipeline (its layers,
 * nested pipelines included) or a keyed registry (every key's policy, current and future). Returns what stops it.
 * Nothing is recorded until an SDK is registered (or a `meterProvider` given); a policy nobody instruments pays
 * nothing. docs/observability.md lists the metrics, attributes and span events.
 *
 * @typeParam P the policy a keyed registry holds for each key.
 * @typeParam K the registry's key.
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming `policy` when `target` is neither a Bulwark policy nor a
 * keyed registry, or naming the option when an option is invalid (`meterProvider` without `getMeter`,
 * `tracerProvider` neither a TracerProvider nor `false`, an empty `name`, a `keyAttribute` that is not a boolean).
 */
export function instrument<P extends AnyPolicy, K>(
  target: AnyPolicy | KeyedPolicy<P, K>,
  options?: InstrumentOptions,
): StopInstrumentation {
  const isKeyed = target instanceof KeyedPolicy;
  if (!isKeyed && typeof (target as Partial<AnyPolicy> | null)?.[RUN] !== 'function') {
    throw new InvalidOptionError(
      'policy',
      `instrument(policy): expected a Bulwark policy, got ${describe(target)}`,
    );
  }
  const settings = resolveOptions(options);
  const instruments = createPolicyInstruments(settings.meter);
  const sources = new Set<GaugeSource>();
  const callback: BatchObservableCallback = (result) => observeSources(sources, instruments, result);
  settings.meter.addBatchObservableCallback(callback, observablesOf(instruments));
  const detach = isKeyed
    ? attachKeyed(target as KeyedPolicy<P, K>, settings, instruments, sources)
    : attachPolicy(target as AnyPolicy, undefined, new Map(), settings, instruments, sources);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    detach();
    settings.meter.removeBatchObservableCallback(callback, observablesOf(instruments));
    sources.clear();
  };
}

/**
 * Instruments every key's policy as it is built (and those held now), each detached when its key leaves. Without
 * the key attribute the keys share their series (one per layer), so the number of series does not grow with keys.
 */
function attachKeyed<P extends AnyPolicy, K>(
  registry: KeyedPolicy<P, K>,
  settings: Settings,
  instruments: PolicyInstruments,
  sources: Set<GaugeSource>,
): Unsubscribe {
  const shared = new Map<string, LayerSeries>();
  const named = { ...settings, name: settings.name ?? 'keyed' };
  return registry.attach((policy, key) =>
    attachPolicy(
      policy,
      settings.keyAttribute ? String(key) : undefined,
      settings.keyAttribute ? new Map() : shared,
      named,
      instruments,
      sources,
    ),
  );
}

/**
 * Listens to every layer of `policy` and registers the layers with state as gauge sources. `seriesCache` holds
 * the layers' series by place (shared by the keys of a registry when they share series).
 */
function attachPolicy(
  policy: AnyPolicy,
  key: string | undefined,
  seriesCache: Map<string, LayerSeries>,
  settings: Settings,
  instruments: PolicyInstruments,
  sources: Set<GaugeSource>,
): Unsubscribe {
  const pipelineName = settings.name ?? policy.name;
  const seriesOf = (layer: Layer, callKey?: string): LayerSeries => {
    // By place and name: a factory may build other shapes for some keys.
    const place = `${layer.index}\u0000${layer.policy.name}`;
    const id = callKey === undefined ? place : `${place}\u0000${callKey}`;
    let series = seriesCache.get(id);
    if (series === undefined) {
      series = LayerSeries.of(pipelineName, layer.policy.name, callKey ?? key);
      seriesCache.set(id, series);
    }
    return series;
  };
  const layers = layersOf(policy);
  const removers = layers.flatMap((layer) => {
    const series = seriesOf(layer);
    return listenToLayer(layer, {
      instruments,
      tracesOn: settings.tracerProvider !== undefined,
      series,
      // A rate limiter's per-call key, as the registry's key: an attribute only when asked for.
      seriesOfKey: (callKey) =>
        settings.keyAttribute && callKey !== undefined && key === undefined
          ? seriesOf(layer, callKey)
          : series,
    });
  });
  const gauges = gaugeSourcesOf(layers, (layer) => seriesOf(layer));
  for (const source of gauges) sources.add(source);
  return () => {
    for (const remove of removers) remove();
    for (const source of gauges) sources.delete(source);
  };
}
