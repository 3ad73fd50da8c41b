#!/usr/bin/env node
// Runs the conformance suite on every runtime (or those named): `node conformance/run.mjs [runtime...]
// [--filter=text] [--verbose] [--list]`. Needs the packages built (`pnpm run build`). Prints each runtime's
// report, then a table (runtime, version, passed, failed, seconds) and `conformance: N passed, M failed`; exits 1
// when a test failed or a runtime could not be installed or run (named with the reason, never skipped).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSuite } from './harness/build.mjs';
import { freePort, RUNTIMES, runOn } from './harness/runtimes.mjs';
import { startApiServer } from './harness/server.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const verbose = args.includes('--verbose');
if (args.includes('--list')) {
  for (const [name, spec] of Object.entries(RUNTIMES)) {
    console.log(`${name.padEnd(9)} ${spec.npm ?? spec.describe ?? "Debian's chromium via playwright-core"}`);
  }
  process.exit(0);
}
const names = args.filter((arg) => !arg.startsWith('--'));
for (const name of names) {
  if (!(name in RUNTIMES)) {
    console.error(`unknown runtime ${name}: one of ${Object.keys(RUNTIMES).join(', ')}`);
    process.exit(2);
  }
}
const root = fileURLToPath(new URL('..', import.meta.url));
for (const pkg of ['core', 'http-status']) {
  if (!existsSync(`${root}packages/${pkg}/dist`)) {
    console.error(`packages/${pkg} is not built: run \`npx -y pnpm@12.21.0 run build\` first`);
    process.exit(2);
  }
}

const outDir = await buildSuite();
const api = await startApiServer();
// A closed port for the refused-connection tests.
const server = { baseUrl: api.url, refusedUrl: `http://127.0.0.1:${await freePort()}/refused` };
const rows = [];
try {
  for (const name of names.length > 0 ? names : Object.keys(RUNTIMES)) {
    console.log(`== conformance on ${name}`);
    const started = performance.now();
    try {
      const result = await runOn(RUNTIMES[name], {
        outDir,
        server,
        filter: flag('filter'),
        verbose,
        log: (text) => process.stdout.write(text),
      });
      // A non-zero exit without a failed test, or a run of no test at all, is a failure too.
      const ranNothing = result.passed + result.failed === 0;
      if (ranNothing) console.log(`${name}: no test ran`);
      const failed = result.failed > 0 ? result.failed : result.exitCode !== 0 || ranNothing ? 1 : 0;
      rows.push({ name, ...result, failed, seconds: (performance.now() - started) / 1000 });
    } catch (error) {
      console.log(`${name}: could not run: ${error instanceof Error ? error.message : String(error)}`);
      rows.push({
        name,
        version: '-',
        passed: 0,
        failed: 1,
        seconds: (performance.now() - started) / 1000,
        broken: true,
      });
    }
  }
} finally {
  await api.close();
}

console.log('== conformance summary');
console.log(
  `${'runtime'.padEnd(9)} ${'version'.padEnd(16)} ${'passed'.padStart(6)} ${'failed'.padStart(6)} ${'seconds'.padStart(7)}`,
);
for (const row of rows) {
  const failed = row.broken ? 'n/a' : String(row.failed);
  console.log(
    `${row.name.padEnd(9)} ${row.version.padEnd(16)} ${String(row.passed).padStart(6)} ${failed.padStart(6)} ${row.seconds.toFixed(1).padStart(7)}`,
  );
}
const passed = rows.reduce((sum, row) => sum + row.passed, 0);
const failed = rows.reduce((sum, row) => sum + row.failed, 0);
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
