// The demo: a batch of Gemini calls during an overload, through the real @google/genai SDK, twice:
// bare, and through withResilience. The "Gemini API" is the fake server from @bulwark/gemini-adapter/testing
// on 127.0.0.1, so no key and no network are needed.
import { GoogleGenAI } from '@google/genai';
import { parseGeminiError, resilienceInfo, resilienceOf, withResilience } from '@bulwark/gemini-adapter';
import { ok, startFakeGemini } from '@bulwark/gemini-adapter/testing';

const PRO = 'gemini-2.5-pro';
const FLASH = 'gemini-2.5-flash';
const CALLS = 120;
const ISSUE_PER_SECOND = 20;
const scenario = {
  // The pro model sheds load above 5 requests/s (503 "The model is overloaded"); flash has room.
  capacity: { [PRO]: 5, [FLASH]: 40 },
  // A project quota on pro, as Gemini enforces it: above 60 requests a minute, 429 with RetryInfo.
  quotas: { [PRO]: { rpm: 60 } },
  // Every answer takes 150-450 ms.
  defaultBehaviour: () => ok({ delayMs: 150 + Math.floor(Math.random() * 300) }),
};

const tty = process.stdout.isTTY;

async function runBatch(label, ai, fake) {
  fake.reset();
  const latencies = [];
  const answeredBy = {};
  const errors = {};
  let done = 0;
  let failed = 0;
  const started = Date.now();
  const progress = () => {
    const line = `  ${label.padEnd(16)} ${bar(done / CALLS)} ${String(done).padStart(3)}/${CALLS} done, ${failed} failed, ${fake.requests.length} requests sent`;
    if (tty) process.stdout.write(`\r${line}`);
    else console.log(line);
  };
  const ticker = setInterval(progress, tty ? 100 : 1_000);
  const calls = [];
  for (let i = 0; i < CALLS; i++) {
    calls.push(
      (async () => {
        const t0 = Date.now();
        try {
          const response = await ai.models.generateContent({ model: PRO, contents: `question ${i}` });
          const model = resilienceInfo(response)?.model ?? response.modelVersion ?? PRO;
          answeredBy[model] = (answeredBy[model] ?? 0) + 1;
        } catch (error) {
          failed++;
          const kind = parseGeminiError(error).kind;
          errors[kind] = (errors[kind] ?? 0) + 1;
        }
        latencies.push(Date.now() - t0);
        done++;
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000 / ISSUE_PER_SECOND));
  }
  await Promise.all(calls);
  clearInterval(ticker);
  progress();
  if (tty) process.stdout.write('\n');
  latencies.sort((a, b) => a - b);
  return {
    label,
    succeeded: CALLS - failed,
    failed,
    requests: fake.requests.length,
    refused: fake.requests.filter((r) => r.answer !== 'ok').length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    seconds: (Date.now() - started) / 1000,
    answeredBy,
    errors,
  };
}

function percentile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function bar(fraction) {
  const width = 24;
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) =>
        c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]),
      );
      const text = `  ${line.join('  ')}`;
      return i === 0 ? `${text}\n  ${widths.map((w) => '-'.repeat(w)).join('  ')}` : text;
    })
    .join('\n');
}

const fake = await startFakeGemini(scenario);
try {
  console.log(
    `Bulwark demo: ${CALLS} calls to ${PRO}, ${ISSUE_PER_SECOND} per second, while it is overloaded`,
  );
  console.log(`(fake Gemini API on ${fake.url}: ${PRO} serves 5 requests/s and 60/min, ${FLASH} has room)\n`);

  const bareClient = new GoogleGenAI({ apiKey: 'demo', httpOptions: { baseUrl: fake.url } });
  const bare = await runBatch('bare SDK', bareClient, fake);

  const resilientClient = withResilience(
    new GoogleGenAI({ apiKey: 'demo', httpOptions: { baseUrl: fake.url } }),
    { fallbacks: { [PRO]: [FLASH] }, limits: { [PRO]: { rpm: 60 } } },
  );
  const engine = resilienceOf(resilientClient);
  engine.events.on('failover', (e) => {
    if (engine.stats().failovers === 1) console.log(`\n  first failover: ${e.from} -> ${e.to} (${e.reason})`);
  });
  engine.events.on('breakerState', (e) => console.log(`\n  breaker of ${e.model}: ${e.from} -> ${e.to}`));
  const resilient = await runBatch('withResilience', resilientClient, fake);
  resilient.retries = engine.stats().retries;
  resilient.failovers = engine.stats().failovers;

  const fmt = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '-';
  console.log(
    `\n${table([
      ['', 'succeeded', 'failed', 'requests sent', 'refused (503/429)', 'retries', 'failovers', 'p50', 'p99'],
      ...[bare, resilient].map((r) => [
        r.label,
        `${r.succeeded}/${CALLS}`,
        r.failed,
        r.requests,
        r.refused,
        r.retries ?? 0,
        r.failovers ?? 0,
        `${r.p50} ms`,
        `${r.p99} ms`,
      ]),
    ])}\n`,
  );
  for (const r of [bare, resilient]) {
    console.log(`  ${r.label.padEnd(16)} answered by: ${fmt(r.answeredBy)}; errors: ${fmt(r.errors)}`);
  }
} finally {
  await fake.close();
}
