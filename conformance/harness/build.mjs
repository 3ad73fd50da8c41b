// Builds the suite's entry points with esbuild into conformance/.out:
// - cli.mjs: Node, Bun and Deno. Only the suite's own files are bundled; `@bulwark/*` stay package imports, so
//   each runtime resolves them through node_modules and the packages' exports maps, as a user's code would.
// - browser.js, worker.mjs: one file each with everything bundled (a page and workerd load a single module).
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
export const outDir = `${root}.out`;

export async function buildSuite() {
  await mkdir(outDir, { recursive: true });
  const common = { bundle: true, format: 'esm', target: 'es2022', logLevel: 'warning', sourcemap: 'inline' };
  await Promise.all([
    build({
      ...common,
      entryPoints: [`${root}entries/cli.ts`],
      outfile: `${outDir}/cli.mjs`,
      platform: 'neutral',
      packages: 'external',
    }),
    build({
      ...common,
      entryPoints: [`${root}entries/browser.ts`],
      outfile: `${outDir}/browser.js`,
      platform: 'browser',
    }),
    build({
      ...common,
      entryPoints: [`${root}entries/worker.ts`],
      outfile: `${outDir}/worker.mjs`,
      platform: 'browser',
      conditions: ['workerd', 'worker'],
    }),
  ]);
  return outDir;
}
