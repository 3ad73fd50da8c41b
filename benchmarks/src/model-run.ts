/**
 * `pnpm bench:model`: the storm on a virtual clock (src/storm/model.ts), over many seeds, for comparing designs.
 *
 *   --seeds=N            seeds per strategy (default 30)
 *   --offset=K           first seed is K + 1 (default 0)
 *   --scenario=NAME      full (the storm), steady (demand 125 % of capacity throughout), large (the storm x 10)
 *   --concurrency=JSON   options merged into Bulwark's adaptiveConcurrency, e.g. '{"backoffRatio":0.7}'
 *   --jitter=MS          spread of the service's answer times (default 150 scenario ms)
 *   --only=a,b           strategies: bulwark, bulwark-interactive, naive, none (default all)
 */
import { InvalidOptionError } from '@bulwark/core';
import {
  bulwarkModel,
  type ModelStrategy,
  modelScenarios,
  naiveModel,
  noRetriesModel,
} from './storm/model.js';
import { summarizeModel, summaryTable } from './storm/model-summary.js';
import { LATENCY_BOUNDED } from './storm/profiles.js';
function parseArgs(argv: readonly string[]) {
  const options = {
    seeds: 30,
    offset: 0,
    scenario: 'full',
    concurrency: {},
    jitter: 150,
    only: undefined as string[] | undefined,
  };
  for (const arg of argv) {
    const at = arg.indexOf('=');
    const name = at < 0 ? arg : arg.slice(0, at);
    const value = at < 0 ? '' : arg.slice(at + 1);
    if (name === '--') continue;
    if (name === '--seeds' || name === '--offset' || name === '--jitter') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < (name === '--seeds' ? 1 : 0)) {
        throw new InvalidOptionError(name, `expected an integer, got "${value}"`);
      }
      options[name.slice(2) as 'seeds' | 'offset' | 'jitter'] = n;
    } else if (name === '--scenario') {
      if (!(value in modelScenarios)) throw new InvalidOptionError(name, `unknown scenario "${value}"`);
      options.scenario = value;
    } else if (name === '--concurrency') {
      try {
        options.concurrency = JSON.parse(value) as object;
      } catch {
        throw new InvalidOptionError(name, 'expected a JSON object');
      }
    } else if (name === '--only') options.only = value.split(',').filter(Boolean);
    else throw new InvalidOptionError(name, 'unknown argument');
  }
  return options;
}

const args = parseArgs(process.argv.slice(2));
const scenario = modelScenarios[args.scenario]!;
const strategies: ModelStrategy[] = [
  bulwarkModel(args.concurrency),
  bulwarkModel(args.concurrency, LATENCY_BOUNDED),
  naiveModel,
  noRetriesModel,
].filter((s) => args.only === undefined || args.only.includes(s.id));
if (strategies.length === 0)
  throw new InvalidOptionError('--only', 'names no strategy (bulwark, bulwark-interactive, naive, none)');
console.log(
  `scenario ${scenario.name}, seeds ${args.offset + 1}..${args.offset + args.seeds}, jitter ${args.jitter} ms` +
    `, concurrency ${JSON.stringify(args.concurrency)}`,
);
const seeds = Array.from({ length: args.seeds }, (_, i) => args.offset + 1 + i);
const summaries = [];
for (const strategy of strategies) {
  summaries.push(await summarizeModel(strategy, scenario, { seeds, jitterMs: args.jitter }));
}
console.log(summaryTable(summaries));
