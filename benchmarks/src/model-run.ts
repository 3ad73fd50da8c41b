/**
 * `pnpm bench:model`: the storm on a virtual clock (src/storm/model.ts), over many seeds, for comparing designs.
 *
 *   --seeds=N            seeds per strategy (default 30)
 *   --offset=K           first seed is K + 1 (default 0)
 *   --scenario=NAME      full (the storm), steady (demand 125 % of capacity throughout), large (the storm x 10)
 *   --concurrency=JSON   options merged into Bulwark's adaptiveConcurrency, e.g. '{"backoffRatio":0.7}'
 *   --jitter=MS          spread of the service's answer times (default 150 scenario ms)
 *   --only=a,b           strategies: bulwark, naive, none (default all)
 */
import { InvalidOptionError } from '@bulwark/core';
import { computeMetrics, quantile } from './storm/metrics.js';
import {
  bulwarkModel,
  type ModelStrategy,
  modelScenarios,
  naiveModel,
  noRetriesModel,
  playModel,
} from './storm/model.js';

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
const strategies: ModelStrategy[] = [bulwarkModel(args.concurrency), naiveModel, noRetriesModel].filter(
  (s) => args.only === undefined || args.only.includes(s.id),
);
if (strategies.length === 0)
  throw new InvalidOptionError('--only', 'names no strategy (bulwark, naive, none)');
console.log(
  `scenario ${scenario.name}, seeds ${args.offset + 1}..${args.offset + args.seeds}, jitter ${args.jitter} ms` +
    `, concurrency ${JSON.stringify(args.concurrency)}`,
);
console.log('| strategy | completed | refused | recovery p50 / p75 / p90 / max | mean recovery |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const strategy of strategies) {
  const completed: number[] = [];
  const refused: number[] = [];
  const recovery: number[] = [];
  for (let seed = args.offset + 1; seed <= args.offset + args.seeds; seed++) {
    const logs = await playModel(strategy, scenario, { seed, jitterMs: args.jitter });
    const m = computeMetrics(scenario, logs);
    completed.push(m.completed);
    refused.push(m.answered.overloaded + m.answered.quota);
    recovery.push((m.recoveryMs ?? Number.POSITIVE_INFINITY) / 1000);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const seconds = (n: number, digits: number) => (Number.isFinite(n) ? `${n.toFixed(digits)} s` : 'never');
  const q = (p: number) => seconds(quantile(recovery, p), 0);
  console.log(
    `| ${strategy.label} | ${mean(completed).toFixed(0)} | ${mean(refused).toFixed(0)} | ` +
      `${q(0.5)} / ${q(0.75)} / ${q(0.9)} / ${q(1)} | ${seconds(mean(recovery), 1)} |`,
  );
}
