/**
 * The real OpenTelemetry SDKs, in memory: a MeterProvider with a manual reader (collect() when the test says) and
 * a tracer provider exporting to memory, with the AsyncLocalStorage context manager every Node SDK installs (span
 * events go to the span active when an execution started).
 */
import { context, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A reader that exports nothing by itself: the test collects. */
class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Collected {
  readonly metrics: ReadonlyMap<string, MetricData>;
  /** The metric's data points (empty when it has none). */
  points(name: string): readonly DataPoint<unknown>[];
  /** The data point whose attributes are exactly `attributes`; throws when there is none. */
  point(name: string, attributes: Attributes): DataPoint<unknown>;
  /** A counter's or gauge's value for exactly `attributes` (undefined when no such point). */
  value(name: string, attributes: Attributes): number | undefined;
  /** A histogram's count and sum for exactly `attributes` (undefined when no such point). */
  histogram(name: string, attributes: Attributes): { count: number; sum: number } | undefined;
}

const sameAttributes = (a: Attributes, b: Attributes): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

export function metricsHarness() {
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    async collect(): Promise<Collected> {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      const metrics = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) metrics.set(metric.descriptor.name, metric);
      }
      const points = (name: string) => (metrics.get(name)?.dataPoints ?? []) as DataPoint<unknown>[];
      const find = (name: string, attributes: Attributes) =>
        points(name).find((p) => sameAttributes(p.attributes, attributes));
      return {
        metrics,
        points,
        point(name, attributes) {
          const found = find(name, attributes);
          if (found === undefined) {
            const seen = points(name).map((p) => JSON.stringify(p.attributes));
            throw new Error(
              `${name}: no point ${JSON.stringify(attributes)}; points: ${seen.join(' ') || 'none'}`,
            );
          }
          return found;
        },
        value: (name, attributes) => find(name, attributes)?.value as number | undefined,
        histogram(name, attributes) {
          const value = find(name, attributes)?.value as Histogram | undefined;
          return value === undefined ? undefined : { count: value.count, sum: value.sum ?? Number.NaN };
        },
      };
    },
    shutdown: () => meterProvider.shutdown(),
  };
}

let contextManager: AsyncLocalStorageContextManager | undefined;

export function tracesHarness() {
  if (contextManager === undefined) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    tracerProvider,
    tracer: tracerProvider.getTracer('test'),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** The names of a span's events, with their attributes. */
    events: (span: ReadableSpan) =>
      span.events.map((e) => ({ name: e.name, attributes: e.attributes ?? {} })),
  };
}
