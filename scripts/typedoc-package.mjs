// TypeDoc options for one package (each package's typedoc.config.mjs): its entry points are the subpaths of its
// `exports` map, so a new subpath is documented (and checked) without touching the TypeDoc configuration.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const readManifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

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

/**
 * Imports of the other workspace packages resolve to their sources, not to their built declarations, so that a
 * type one package takes from another (core's CircuitBreakerOptions in the Gemini adapter) links to its page.
 */
function workspacePaths(packagesDir) {
  const paths = {};
  for (const name of readdirSync(packagesDir)) {
    const dir = join(packagesDir, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const id = readManifest(dir).name;
    paths[id] = [join(dir, 'src/index.ts')];
    paths[`${id}/*`] = [join(dir, 'src/*.ts'), join(dir, 'src/*/index.ts')];
  }
  return paths;
}

/** @param {string} dir the package's directory */
export function packageConfig(dir) {
  const subpaths = Object.keys(readManifest(dir).exports ?? { '.': null }).filter(
    (subpath) => !subpath.endsWith('.json') && !subpath.includes('*'),
  );
  return {
    entryPoints: subpaths.map((subpath) => sourceOf(dir, subpath)),
    tsconfig: join(dir, 'tsconfig.json'),
    compilerOptions: { rootDir: dirname(dir), paths: workspacePaths(dirname(dir)) },
  };
}
