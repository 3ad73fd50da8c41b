/**
 * `pnpm bench`: runs the suite and writes benchmarks/results/latest.{md,json} and storm.svg.
 *
 *   --smoke              tiny iteration counts and a compressed storm (writes to results/smoke/)
 *   --only=a,b           sections: overhead, memory, timeouts, churn, signals, storm, storm-model, redis, storm-fleet
 *   --storm-runs=N       storm runs per strategy (default 3; 1 in smoke mode)
 *   --rounds=MIN[-MAX]   overhead rounds per case per process, and most rounds for the targets' ratios (default 8-20)
 *   --processes=N        fresh processes per Node whose overhead rounds are pooled (default 3; smoke 1)
 *   --runtimes=a,b       Nodes of the overhead section: node (this machine's), node22, node24 (default node,node24)
 *   --out=DIR            output directory
 */
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '@bulwark/core';
import { NODE_RUNTIMES } from './overhead/runtimes.js';
import { runSuite, SECTIONS, type Section, writeReport } from './suite.js';

function positiveInteger(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidOptionError(name, 'expected an integer >= 1');
  return n;
}

function parseArgs(argv: readonly string[]) {
  const options = {
    smoke: false,
    sections: SECTIONS as readonly Section[],
    stormRuns: undefined as number | undefined,
    runtimes: undefined as string[] | undefined,
    rounds: undefined as { minRounds: number; maxRounds: number } | undefined,
    processes: undefined as number | undefined,
    out: '',
  };
  for (const arg of argv) {
    const [name, value = ''] = arg.split('=', 2) as [string, string?];
    // pnpm may pass the `--` that separates its own options from the script's.
    if (name === '--') continue;
    if (name === '--smoke') options.smoke = true;
    else if (name === '--only') {
      const list = value.split(',').filter(Boolean);
      for (const s of list) {
        if (!SECTIONS.includes(s as Section))
          throw new InvalidOptionError('--only', `unknown section "${s}"`);
      }
      options.sections = list as Section[];
    } else if (name === '--storm-runs') options.stormRuns = positiveInteger(name, value);
    else if (name === '--processes') options.processes = positiveInteger(name, value);
    else if (name === '--rounds') {
      const [min, max = min] = value.split('-').map(Number) as [number, number?];
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min)
        throw new InvalidOptionError('--rounds', 'expected MIN or MIN-MAX, integers with 1 <= MIN <= MAX');
      options.rounds = { minRounds: min, maxRounds: max };
    } else if (name === '--runtimes') {
      const list = value.split(',').filter(Boolean);
      for (const r of list) {
        if (!NODE_RUNTIMES.includes(r))
          throw new InvalidOptionError('--runtimes', `unknown runtime "${r}" (${NODE_RUNTIMES.join(', ')})`);
      }
      options.runtimes = list;
    } else if (name === '--out') options.out = value;
    else throw new InvalidOptionError(name, 'unknown argument');
  }
  return options;
}

const args = parseArgs(process.argv.slice(2));
if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.error('note: run with --expose-gc for steadier allocation and memory figures');
}
const report = await runSuite({
  mode: args.smoke ? 'smoke' : 'full',
  sections: args.sections,
  stormRepetitions: args.stormRuns,
  ...(args.runtimes === undefined ? {} : { runtimes: args.runtimes }),
  ...(args.rounds === undefined ? {} : { measure: args.rounds }),
  ...(args.processes === undefined ? {} : { overheadProcesses: args.processes }),
  log: (line) => console.error(line),
});
const results = fileURLToPath(new URL('../results/', import.meta.url));
const dir = args.out || (args.smoke ? `${results}smoke` : results);
const markdown = await writeReport(report, dir);
console.log(markdown);
console.error(`written to ${dir}`);
