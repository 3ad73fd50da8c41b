/**
 * The cost of `@bulwark/opentelemetry` on the five-policy pipeline: instrumented with the real metrics SDK (a
 * MeterProvider whose reader is never collected during the measurement: what a service pays per call between
 * exports), and instrumented with no SDK registered (the global no-op meter: the listeners, attribute lookups and
 * the policies' observed paths, i.e. everything this package adds in front of an SDK). And the floor the SDK sets:
 * the two histogram records a successful call makes (the execution's and the attempt's), alone.
 */
import type * as bw from '@bulwark/core';
import { instrument } from '@bulwark/opentelemetry';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { Path, Subject } from './subjects.js';
import { fail, settle, work } from './work.js';

export const INSTRUMENTED_SDK = 'instrumented five-policy pipeline';
export const INSTRUMENTED_NO_SDK = 'instrumented five-policy pipeline, no SDK';
export const SDK_RECORDS = 'OpenTelemetry SDK: 2 histogram records';

/** A reader that exports nothing unless asked: the measurement never collects. */
class IdleReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

type Add = (composition: string, path: Path, library: Subject['library'], fn: () => Promise<unknown>) => void;

/** The five-policy pipeline of subjects.ts, built afresh (the instrumented instance is not shared). */
export type FivePolicy = (failing: boolean) => bw.AnyPolicy;

export function addInstrumented(add: Add, five: FivePolicy, disposers: (() => unknown)[]): void {
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  disposers.push(() => meterProvider.shutdown());

  const withSdk = five(false);
  const withSdkFailing = five(true);
  instrument(withSdk, { meterProvider, name: 'five' });
  instrument(withSdkFailing, { meterProvider, name: 'five-failing' });
  add(INSTRUMENTED_SDK, 'success', 'bulwark', () => withSdk.execute(work));
  add(INSTRUMENTED_SDK, 'failure', 'bulwark', () => settle(withSdkFailing.execute(fail)));

  // No meterProvider and no SDK registered: the API's global no-op meter.
  const noSdk = five(false);
  instrument(noSdk, { name: 'five' });
  add(INSTRUMENTED_NO_SDK, 'success', 'bulwark', () => noSdk.execute(work));

  // What the SDK itself costs for the records of one successful call, with the same attribute sets.
  const histogram = meterProvider.getMeter('bench').createHistogram('bench.duration', { unit: 's' });
  const execution = { 'bulwark.pipeline.name': 'five', 'bulwark.outcome': 'success' };
  add(SDK_RECORDS, 'success', 'bare', () => {
    histogram.record(0.001, execution);
    histogram.record(0.001, execution);
    return work();
  });
}
