// The observability demo: the overload run of `pnpm demo` (calls to an overloaded gemini-2.5-pro through the real
// @google/genai SDK, made resilient with withResilience, against the fake Gemini API on 127.0.0.1), instrumented
// with @bulwark/opentelemetry. It prints what an OpenTelemetry exporter would ship: every metric with its
// attributes, and the span of the slowest call with its events (why it took that long).
import { GoogleGenAI } from '@google/genai';
import { withResilience } from '@bulwark/gemini-adapter';
import { ok, startFakeGemini } from '@bulwark/gemini-adapter/testing';
import { instrumentGemini } from '@bulwark/opentelemetry';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

const PRO = 'gemini-2.5-pro';
const FLASH = 'gemini-2.5-flash';
const CALLS = Number(process.env.DEMO_CALLS ?? 120);
const ISSUE_PER_SECOND = 20;

// The SDK as a service would set it up, exporting to memory instead of an OTLP collector.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
const meterProvider = new MeterProvider({ readers: [reader] });
const spanExporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });

const fake = await startFakeGemini({
  capacity: { [PRO]: 5, [FLASH]: 40 }, // pro sheds load above 5 requests/s (503), flash has room
  quotas: { [PRO]: { rpm: 60 } }, // and a project quota of 60 requests a minute (429 with RetryInfo)
  defaultBehaviour: () => ok({ delayMs: 150 + Math.floor(Math.random() * 300) }),
});
try {
  const ai = withResilience(new GoogleGenAI({ apiKey: 'demo', httpOptions: { baseUrl: fake.url } }), {
    fallbacks: { [PRO]: [FLASH] },
    limits: { [PRO]: { rpm: 60 } },
  });
  const stop = instrumentGemini(ai, { meterProvider, tracerProvider });

  console.log(
    `${CALLS} calls to ${PRO}, ${ISSUE_PER_SECOND} per second, while it is overloaded (fake API on ${fake.url})\n`,
  );
  const calls = [];
  for (let i = 0; i < CALLS; i++) {
    calls.push(ai.models.generateContent({ model: PRO, contents: `question ${i}` }).catch(() => {}));
    await new Promise((resolve) => setTimeout(resolve, 1_000 / ISSUE_PER_SECOND));
  }
  await Promise.all(calls);

  await reader.forceFlush();
  printMetrics(metricExporter.getMetrics().at(-1));
  printSlowestSpan(spanExporter.getFinishedSpans());
  stop();
} finally {
  await fake.close();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
}

/** Every metric, one line per attribute set; the attributes every point shares are said once. */
function printMetrics(resourceMetrics) {
  for (const scope of resourceMetrics?.scopeMetrics ?? []) {
    for (const { descriptor, dataPoints } of scope.metrics) {
      if (dataPoints.length === 0) continue;
      const shared = Object.entries(dataPoints[0].attributes).filter(([k, v]) =>
        dataPoints.every((p) => p.attributes[k] === v),
      );
      console.log(
        `${descriptor.name} [${descriptor.unit}]  ${shared.map(([k, v]) => `${k}=${v}`).join(' ')}`,
      );
      for (const point of dataPoints) {
        const own = Object.entries(point.attributes)
          .filter(([k]) => !shared.some(([s]) => s === k))
          .map(([k, v]) => `${k.replace(/^(gen_ai|bulwark)\./, '')}=${v}`)
          .join(' ');
        console.log(`    ${(own || '(all)').padEnd(78)} ${formatValue(point.value)}`);
      }
    }
  }
}

function formatValue(value) {
  if (typeof value === 'number') return String(value);
  const mean = value.count === 0 ? 0 : value.sum / value.count;
  return `count ${value.count}, mean ${mean < 10 ? mean.toFixed(3) : Math.round(mean)}, max ${value.max?.toFixed(3)}`;
}

function printSlowestSpan(spans) {
  const duration = (s) => s.duration[0] + s.duration[1] / 1e9;
  const slowest = spans.reduce((a, b) => (duration(b) > duration(a) ? b : a), spans[0]);
  if (slowest === undefined) return;
  const start = slowest.startTime[0] + slowest.startTime[1] / 1e9;
  console.log(`\nThe slowest call's span: "${slowest.name}", ${duration(slowest).toFixed(3)} s`);
  for (const [k, v] of Object.entries(slowest.attributes)) console.log(`    ${k} = ${v}`);
  for (const event of slowest.events) {
    const at = event.time[0] + event.time[1] / 1e9 - start;
    const attributes = Object.entries(event.attributes ?? {})
      .map(([k, v]) => `${k.replace(/^(gen_ai|bulwark)\./, '')}=${v}`)
      .join(' ');
    console.log(`    +${at.toFixed(3)} s  ${event.name}  ${attributes}`);
  }
}
