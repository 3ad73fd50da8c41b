// Two processes of one service share a Gemini project's quota through Redis.
//
// The "Gemini API" is the fake server from @bulwark/gemini-adapter/testing on 127.0.0.1 (no key, no network): from
// the 4th request on, it refuses every request for 2 s with 429 RESOURCE_EXHAUSTED and RetryInfo, as Gemini does
// when a project's per-minute quota is spent. Two child processes, each with its own @google/genai client made
// resilient with withResilience, send their calls during that time, twice: each on its own, then sharing a
// throwaway local redis-server through `store: redisStore(...)`. On their own, each process learns the
// 429 by itself; sharing, the first 429 pauses both, and the other one sends nothing until the pause is over.
//
// Run: pnpm demo:distributed (builds, then runs this file with tsx). Needs redis-server on the PATH (or
// BULWARK_REDIS_SERVER pointing at a redis-server or valkey-server binary).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resilienceOf, withResilience } from '@bulwark/gemini-adapter';
import { type FakeRequest, fault, ok, startFakeGemini } from '@bulwark/gemini-adapter/testing';
import { redisStore } from '@bulwark/redis';
import { GoogleGenAI } from '@google/genai';
import { createClient } from 'redis';
import { redisServerMissing, startRedisServer } from '../packages/redis/test/support/redis-server.ts';

const MODEL = 'gemini-2.5-flash';
const CALLS = 6;
/** Between one answer and a process's next call. */
const GAP_MS = 200;
const OUTAGE_FROM = 3; // the 4th request, counting from 0
const OUTAGE_MS = 2_000;

/** What a worker reports to the parent. */
interface Report {
  readonly name: string;
  readonly answers: number;
  readonly requests: number;
  /** 429s this process received. */
  readonly refusals: number;
  /** Time spent waiting before a request, in ms: its own 429's pause, or one read from Redis. */
  readonly waited: number;
}

interface WorkerArgs {
  readonly name: string;
  readonly fakeUrl: string;
  /** Unset: no shared store. */
  readonly redisUrl?: string;
  readonly startDelayMs: number;
}

// --- a worker: one process of the service ---------------------------------------------------------------------

async function worker(args: WorkerArgs): Promise<Report> {
  const ai = new GoogleGenAI({ apiKey: 'demo', httpOptions: { baseUrl: args.fakeUrl } });
  const redis = args.redisUrl === undefined ? undefined : createClient({ url: args.redisUrl });
  await redis?.connect();
  withResilience(ai, {
    // Shared: every process of project 'demo' on this Redis shares limits, pauses and spent quotas per model.
    ...(redis === undefined ? {} : { store: redisStore({ client: redis }), project: 'demo' }),
    limits: { [MODEL]: { rpm: 100 } },
  });
  const { events, stats } = resilienceOf(ai);
  let refusals = 0;
  let waited = 0;
  events.on('paused', () => refusals++);
  events.on('retry', (e) => (waited += e.delay));
  events.on('wait', (e) => (waited += e.delay ?? 0));
  // A first request warms the process up (its HTTP connection), so that the two start together on 'go'.
  await ai.models.countTokens({ model: MODEL, contents: 'warm-up' });
  await ready();
  let answers = 0;
  await sleep(args.startDelayMs);
  for (let i = 0; i < CALLS; i++) {
    await ai.models.generateContent({ model: MODEL, contents: `call ${i} of ${args.name}` });
    answers++;
    await sleep(GAP_MS);
  }
  await redis?.quit();
  // countTokens is not limited: only generateContent requests count here.
  return { name: args.name, answers, requests: stats().requests - 1, refusals, waited };
}

/** Tells the parent this worker is ready, and waits for its 'go'. */
function ready(): Promise<void> {
  return new Promise((resolve) => {
    process.once('message', () => resolve());
    process.send!('ready');
  });
}

// --- the parent: a fake Gemini, a redis-server, two workers -----------------------------------------------------

/** Starts a worker process (this file, with tsx); resolves once it is ready, with its report to come. */
async function startWorker(args: WorkerArgs): Promise<{ go(): void; report: Promise<Report> }> {
  const child = fork(fileURLToPath(import.meta.url), ['worker', JSON.stringify(args)], {
    execArgv: ['--import', 'tsx'],
  });
  const report = new Promise<Report>((resolve, reject) => {
    child.on('message', (message) => message !== 'ready' && resolve(message as Report));
    child.once('exit', (code) => code !== 0 && reject(new Error(`worker ${args.name} exited with ${code}`)));
  });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  return { go: () => child.send('go'), report };
}

/** A fake Gemini whose project quota is spent for OUTAGE_MS from the OUTAGE_FROM-th request on. */
async function fakeGemini() {
  let outageEnd = Number.NEGATIVE_INFINITY;
  let seen = 0;
  return startFakeGemini({
    defaultBehaviour: (request: FakeRequest) => {
      if (request.method !== 'generateContent') return ok();
      if (seen++ === OUTAGE_FROM) outageEnd = request.time + OUTAGE_MS;
      const left = outageEnd - request.time;
      return left > 0 ? fault.rateLimited({ retryDelayMs: left, exactRetryInfo: true }) : ok();
    },
  });
}

async function round(label: string, redisUrl: string | undefined): Promise<number> {
  const fake = await fakeGemini();
  try {
    const workers = await Promise.all([
      startWorker({ name: 'A', fakeUrl: fake.url, redisUrl, startDelayMs: 0 }),
      startWorker({ name: 'B', fakeUrl: fake.url, redisUrl, startDelayMs: GAP_MS / 2 }),
    ]);
    for (const w of workers) w.go();
    const reports = await Promise.all(workers.map((w) => w.report));
    console.log(label);
    for (const r of reports) {
      console.log(
        `  process ${r.name}: ${r.answers} answers, ${r.requests} requests sent, ${r.refusals} × 429 received, ` +
          `waited ${(r.waited / 1000).toFixed(1)} s`,
      );
    }
    const refused = fake.requests.filter((r) => r.answer === 'rateLimited').length;
    console.log(`  429s in all: ${refused}\n`);
    return refused;
  } finally {
    await fake.close();
  }
}

async function main(): Promise<void> {
  const missing = redisServerMissing();
  if (missing !== undefined) {
    console.error(missing);
    process.exitCode = 1;
    return;
  }
  console.log(
    `Two processes, ${CALLS} calls each to ${MODEL}; from the ${OUTAGE_FROM + 1}th request, the API answers 429 ` +
      `(RetryInfo) for ${OUTAGE_MS / 1000} s.\n`,
  );
  const alone = await round('Each process on its own (no store):', undefined);
  const redis = await startRedisServer();
  try {
    const shared = await round(`Sharing a Redis store (redis-server on ${redis.url}):`, redis.url);
    console.log(
      shared < alone
        ? `Sharing: the first 429 paused both processes (${shared} 429 instead of ${alone}).`
        : `Unexpected: ${shared} 429s sharing, ${alone} alone.`,
    );
  } finally {
    await redis.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[2] === 'worker') {
  const report = await worker(JSON.parse(process.argv[3]!) as WorkerArgs);
  process.send!(report, () => process.exit(0));
} else {
  await main();
}
