#!/usr/bin/env node
// What an import costs a user's bundle: each entry is a one-line consumer, bundled by esbuild (--bundle --minify,
// ESM, browser conditions) against the built packages, then gzipped at level 9. Fails (exit 1) when an entry of ours
// is over its budget. cockatiel 4 and p-retry are measured the same way, for the table in docs/benchmarks.md
// (docs/benchmarks.md#bundle-size).
//
//   node scripts/size.mjs              the table, and the check
//   node scripts/size.mjs --markdown   the same as a markdown table
//   node scripts/size.mjs --json       the figures as JSON
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

// A size is in KB of 1000 bytes (as size-limit and bundlephobia count).
const KB = 1000;

/**
 * One row: what a consumer imports (`ours`: the whole consumer module), the budget CI holds it to (KB), the target
 * issue 14 set where it set one, and the same import from the peers when they have one. A budget is the figure
 * measured when it was set plus a little headroom (0.1 KB, rounded up to a quarter of a KB): a change that makes an
 * import dearer must raise it on purpose.
 */
const entries = [
  {
    label: '`retry` + `exponential`',
    budget: 6,
    target: 2.5,
    ours: `export { retry, exponential } from '@bulwark/core';`,
    cockatiel: `export { retry, ExponentialBackoff, handleAll } from 'cockatiel';`,
    pRetry: `export { default } from 'p-retry';`,
  },
  {
    label: '`circuitBreaker`',
    budget: 10.5,
    target: 3.5,
    ours: `export { circuitBreaker } from '@bulwark/core';`,
    cockatiel: `export { circuitBreaker, ConsecutiveBreaker, handleAll } from 'cockatiel';`,
  },
  {
    label: '`timeout`',
    budget: 6,
    target: 2.5,
    ours: `export { timeout } from '@bulwark/core';`,
    cockatiel: `export { timeout, TimeoutStrategy } from 'cockatiel';`,
  },
  {
    label: '`bulkhead`',
    budget: 5.25,
    ours: `export { bulkhead } from '@bulwark/core';`,
    cockatiel: `export { bulkhead } from 'cockatiel';`,
  },
  {
    label: '`rateLimit` + `tokenBucket`',
    budget: 11.25,
    ours: `export { rateLimit, tokenBucket } from '@bulwark/core';`,
  },
  {
    label: 'pipeline of four (retry, breaker, timeout, bulkhead)',
    budget: 15.25,
    ours: `export { pipeline, retry, exponential, circuitBreaker, timeout, bulkhead } from '@bulwark/core';`,
    cockatiel: `export { wrap, retry, ExponentialBackoff, circuitBreaker, ConsecutiveBreaker, timeout, TimeoutStrategy, bulkhead, handleAll } from 'cockatiel';`,
  },
  {
    label: 'all of core',
    budget: 32.5,
    target: 15,
    ours: `export * from '@bulwark/core';`,
    cockatiel: `export * from 'cockatiel';`,
  },
  {
    label: '`parseRetryAfter` (http-status)',
    budget: 1,
    target: 1.5,
    ours: `export { parseRetryAfter } from '@bulwark/http-status';`,
  },
  {
    label: '`resilientFetch` + `handle` (http-status)',
    budget: 8.25,
    ours: `export { resilientFetch, handle } from '@bulwark/http-status';`,
  },
  {
    label: '`withResilience` (gemini-adapter)',
    budget: 40.5,
    ours: `export { withResilience } from '@bulwark/gemini-adapter';`,
  },
  {
    label: '`instrument` (opentelemetry)',
    budget: 32.5,
    ours: `export { instrument } from '@bulwark/opentelemetry';`,
  },
];

/** The gzipped size in bytes of one consumer module, bundled and minified. */
async function measure(code) {
  const result = await build({
    stdin: { contents: code, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The SDK and the OpenTelemetry API are the user's (peer dependencies), not part of what our packages cost.
    external: ['@google/genai', '@opentelemetry/api', 'node:*'],
    write: false,
    logLevel: 'error',
  });
  const bytes = result.outputFiles[0].contents;
  return gzipSync(bytes, { level: 9 }).length;
}

const kb = (bytes) => (bytes === undefined ? '—' : `${(bytes / KB).toFixed(2)} KB`);
const limit = (value) => (value === undefined ? '—' : `≤ ${value} KB`);

const args = new Set(process.argv.slice(2));
const rows = [];
for (const entry of entries) {
  const row = {
    label: entry.label,
    budget: entry.budget,
    target: entry.target,
    ours: await measure(entry.ours),
  };
  if (entry.cockatiel) row.cockatiel = await measure(entry.cockatiel);
  if (entry.pRetry) row.pRetry = await measure(entry.pRetry);
  row.over = row.ours > entry.budget * KB;
  rows.push(row);
}

if (args.has('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else if (args.has('--markdown')) {
  console.log('| import | Bulwark | budget (CI) | issue 14 target | cockatiel 4 | p-retry 7 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    const cells = [kb(row.ours), limit(row.budget), limit(row.target), kb(row.cockatiel), kb(row.pRetry)];
    console.log(`| ${row.label} | ${cells.join(' | ')} |`);
  }
} else {
  const width = Math.max(...rows.map((row) => row.label.length));
  const columns = ['bulwark', 'budget', 'target', 'cockatiel', 'p-retry'];
  console.log(`${'import'.padEnd(width)}${columns.map((c) => c.padStart(11)).join('')}`);
  for (const row of rows) {
    const cells = [kb(row.ours), limit(row.budget), limit(row.target), kb(row.cockatiel), kb(row.pRetry)];
    const flag = row.over ? '  OVER BUDGET' : '';
    console.log(`${row.label.padEnd(width)}${cells.map((c) => c.padStart(11)).join('')}${flag}`);
  }
}

const over = rows.filter((row) => row.over);
if (over.length > 0) {
  console.error(`size: ${over.length} import(s) over budget: ${over.map((row) => row.label).join(', ')}`);
  process.exit(1);
}
