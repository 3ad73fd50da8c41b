/**
 * One runtime's overhead measurement, in a process of its own (spawned by runtimes.ts with that runtime's node):
 * `child.ts --options=<MeasureOptions as JSON> --out=<file>` writes the OverheadResult as JSON to the file.
 */
import { writeFile } from 'node:fs/promises';
import { runOverhead } from './index.js';
import type { MeasureOptions } from './measure.js';

const arg = (name: string): string => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (found === undefined) throw new Error(`overhead child: missing --${name}=`);
  return found.slice(name.length + 3);
};

const options = JSON.parse(arg('options')) as MeasureOptions;
const result = await runOverhead(options);
await writeFile(arg('out'), JSON.stringify(result));
