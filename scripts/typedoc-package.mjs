// TypeDoc options for one package (each package's typedoc.config.mjs): its entry points are the subpaths of its
// `exports` map, so a new subpath is documented (and checked) without touching the TypeDoc configuration.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `.` -> src/index.ts; `./testing` -> src/testing.ts or src/testing/index.ts. */
function sourceOf(dir, subpath) {
  const name = subpath === '.' ? 'index' : subpath.slice(2);
  const candidates = [`src/${name}.ts`, `src/${name}/index.ts`];
  const found = candidates.find((file) => existsSync(join(dir, file)));
  if (found === undefined) {
    throw new Error(`${dir}: no source for the export ${subpath} (looked for ${candidates.join(', ')})`);
  }
  return found;
}

/** @param {string} dir the package's directory */
export function packageConfig(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const subpaths = Object.keys(manifest.exports ?? { '.': null }).filter(
    (subpath) => !subpath.endsWith('.json') && !subpath.includes('*'),
  );
  return {
    entryPoints: subpaths.map((subpath) => sourceOf(dir, subpath)),
    tsconfig: join(dir, 'tsconfig.json'),
  };
}
