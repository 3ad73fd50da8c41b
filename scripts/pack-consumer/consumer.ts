// A user's program, run by scripts/pack-consumer-test.mjs against the packed tarballs: copied to consumer.mts (ESM)
// and consumer.cts (CJS, `__FORMAT__` replaced), type-checked under node16, nodenext and bundler, then run. It
// imports every subpath of every package and uses something of each, so a subpath that resolves to the wrong file,
// a missing export or a declaration that does not match the code fails here.
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bulkhead,
  circuitBreaker,
  exponential,
  InvalidOptionError,
  isTimeoutError,
  pipeline,
  rateLimit,
  retry,
  timeout,
  tokenBucket,
} from '@bulwark/core';
import { ADMITTED, memoryStore, type RateLimitStore } from '@bulwark/core/store';
import { seededRandom, VirtualClock } from '@bulwark/core/testing';
import { requirePositive } from '@bulwark/core/validate';
import { parseGeminiError, resilienceOf, withResilience } from '@bulwark/gemini-adapter';
import { fault, ok, startFakeGemini } from '@bulwark/gemini-adapter/testing';
import { classify, handle, isHttpStatusError, parseRetryAfter, resilientFetch } from '@bulwark/http-status';
import { instrument, METRICS } from '@bulwark/opentelemetry';
import { guardStore, isStoreUnavailableError } from '@bulwark/redis';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';

const FORMAT = '__FORMAT__';

async function core(): Promise<void> {
  // A retry on a virtual clock: two failures, then an answer.
  const clock = new VirtualClock();
  const policy = pipeline(
    retry({ maxAttempts: 3, backoff: exponential({ initialDelay: 100 }), clock, random: seededRandom(1) }),
    circuitBreaker({ clock }),
    timeout(1_000, { clock }),
    bulkhead({ maxConcurrent: 2 }),
  );
  let calls = 0;
  const pending = policy.execute(async () => {
    calls++;
    if (calls < 3) throw new Error('flaky');
    return 'answer';
  });
  await clock.runAll();
  assert.equal(await pending, 'answer');
  assert.equal(calls, 3);

  // A timeout that fires.
  const slow = timeout(50, { clock }).execute(() => new Promise<never>(() => {}));
  const timedOut = assert.rejects(slow, (error: unknown) => isTimeoutError(error));
  await clock.runAll();
  await timedOut;

  // A rate limiter on the store contract of ./store.
  const store: RateLimitStore = memoryStore();
  const limiter = rateLimit({ limits: [tokenBucket({ rate: 1, per: 1_000 })], store, clock });
  assert.equal(await limiter.execute(() => 'admitted'), 'admitted');
  assert.equal(ADMITTED.admitted, true);

  // ./validate throws core's typed error, one class whichever entry it comes from.
  assert.throws(() => requirePositive('delay', -1), InvalidOptionError);
}

async function httpStatus(): Promise<void> {
  assert.equal(parseRetryAfter('2'), 2_000);
  assert.equal(classify(503).retry, true);

  // resilientFetch against a loopback server: a 503, then a 200.
  let served = 0;
  const server = createServer((_request, response) => {
    served++;
    response.statusCode = served === 1 ? 503 : 200;
    response.end(served === 1 ? 'busy' : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const fetchWithRetry = resilientFetch(
      retry({ maxAttempts: 2, handle: handle.retry, backoff: exponential({ initialDelay: 1 }) }),
    );
    const response = await fetchWithRetry(`http://127.0.0.1:${port}/`);
    assert.equal(await response.text(), 'ok');
    assert.equal(served, 2);
    assert.equal(isHttpStatusError(new Error('no')), false);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function gemini(): Promise<void> {
  // The real SDK against the fake server of ./testing: overloaded once, then an answer, through withResilience.
  // The SDK is ESM only: a CommonJS program loads it with import(), as a user's would.
  const { GoogleGenAI } = await import('@google/genai');
  const fake = await startFakeGemini();
  try {
    fake.script('gemini-2.5-flash', [fault.overloaded(), ok({ text: 'hello' })]);
    const ai = withResilience(new GoogleGenAI({ apiKey: 'test', httpOptions: { baseUrl: fake.url } }), {
      backoff: exponential({ initialDelay: 1 }),
    });
    const response = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' });
    assert.equal(response.text, 'hello');
    assert.equal(fake.requests.length, 2);
    assert.equal(typeof resilienceOf(ai)?.stats, 'function');
    assert.equal(parseGeminiError(new Error('x')).kind, 'unknown');
  } finally {
    await fake.close();
  }
}

async function redis(): Promise<void> {
  // No Redis here: the guard over core's memory store, which answers as the store does.
  const guarded = guardStore(memoryStore());
  assert.equal(typeof guarded.acquire, 'function');
  assert.equal(isStoreUnavailableError(new Error('no')), false);
}

async function opentelemetry(): Promise<void> {
  // A retried call through an instrumented pipeline, read back from an SDK (@opentelemetry/api is the peer).
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const clock = new VirtualClock();
  const policy = pipeline(
    retry({ maxAttempts: 2, backoff: exponential({ initialDelay: 1 }), clock }),
    timeout(1_000, { clock }),
  );
  const stop = instrument(policy, { meterProvider, name: 'consumer', tracerProvider: false });
  let calls = 0;
  const pending = policy.execute(async () => {
    if (++calls === 1) throw new TypeError('flaky');
    return 'answer';
  });
  await clock.runAll();
  assert.equal(await pending, 'answer');
  await reader.forceFlush();
  const metrics = exporter.getMetrics()[0]?.scopeMetrics[0]?.metrics ?? [];
  const retries = metrics.find((metric) => metric.descriptor.name === METRICS.retries.name);
  assert.equal(retries?.dataPoints[0]?.value, 1);
  assert.equal(retries?.dataPoints[0]?.attributes['error.type'], 'TypeError');
  stop();
  await meterProvider.shutdown();
}

async function main(): Promise<void> {
  await core();
  await httpStatus();
  await gemini();
  await redis();
  await opentelemetry();
  console.log(`consumer (${FORMAT}): every subpath imported and used`);
}

// A wait that never ends would let the process exit quietly with code 0: only a finished main() passes.
let finished = false;
process.on('exit', () => {
  if (!finished) {
    console.error(`consumer (${FORMAT}): exited before main() finished`);
    process.exitCode = 1;
  }
});
main().then(
  () => {
    finished = true;
  },
  (error: unknown) => {
    finished = true;
    console.error(error);
    process.exitCode = 1;
  },
);
