#!/usr/bin/env node
// Builds the package in the current directory (each package's `build` script): one output file per source module,
// so a bundler keeps only the modules a user's imports reach (the packages are `sideEffects: false`).
//
//   src/a/b.ts -> dist/a/b.js    (ESM)   + dist/a/b.d.ts    (its types)
//              -> dist/a/b.cjs   (CJS)   + dist/a/b.d.cts   (the same types, for `require`)
//
// The sources import each other as `./x.js`; the CJS files and their types import `./x.cjs`, so each format
// only ever loads its own files. Declarations come from tsc (stripInternal, from tsconfig.base.json).
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';

const cwd = process.cwd();
const src = join(cwd, 'src');
const dist = join(cwd, 'dist');

/** Every source module (not tests, not declarations). */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const RELATIVE = /^\.\.?\//;

/** `./x.js` -> `./x.cjs` in a relative specifier; any other specifier is left alone. */
const toCjs = (specifier) => (RELATIVE.test(specifier) ? specifier.replace(/\.js$/, '.cjs') : specifier);

/** Each module stays its own file: every import is external, a relative one renamed for the format. */
const perModule = (format) => ({
  name: 'per-module',
  setup(esbuild) {
    esbuild.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: format === 'cjs' ? toCjs(args.path) : args.path, external: true };
    });
  },
});

async function buildJs(entryPoints, format) {
  await build({
    entryPoints,
    outbase: src,
    outdir: dist,
    bundle: true,
    format,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    outExtension: { '.js': format === 'cjs' ? '.cjs' : '.js' },
    plugins: [perModule(format)],
    logLevel: 'warning',
  });
}

/** `from './x.js'`, `import('./x.js')`, `import './x.js'` in a declaration file. */
const DECLARATION_SPECIFIER = /((?:from|import)\s*\(?\s*)(['"])(\.\.?\/[^'"]*?)\.js\2/g;

function buildTypes(entryPoints) {
  const configPath = join(cwd, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, cwd);
  const options = {
    ...parsed.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    sourceMap: false,
    rootDir: src,
    outDir: dist,
  };
  const program = ts.createProgram(entryPoints, options);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const result = program.emit(undefined, (fileName, text) => {
    mkdirSync(dirname(fileName), { recursive: true });
    writeFileSync(fileName, text);
    // The same declarations for the CJS files, importing their siblings' .d.cts.
    const cts = fileName.replace(/\.d\.ts$/, '.d.cts');
    writeFileSync(
      cts,
      text.replace(DECLARATION_SPECIFIER, (_, lead, quote, path) => `${lead}${quote}${path}.cjs${quote}`),
    );
  });
  const all = [...diagnostics, ...result.diagnostics];
  if (all.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => cwd, getNewLine: () => '\n' };
    console.error(ts.formatDiagnosticsWithColorAndContext(all, host));
    throw new Error(`types: ${all.length} error(s)`);
  }
}

const started = performance.now();
if (!existsSync(src)) throw new Error(`no src/ in ${cwd}`);
rmSync(dist, { recursive: true, force: true });
const entryPoints = sources(src);
await Promise.all([buildJs(entryPoints, 'esm'), buildJs(entryPoints, 'cjs')]);
buildTypes(entryPoints);
const name = relative(join(cwd, '..', '..'), cwd);
console.log(
  `${name}: ${entryPoints.length} modules -> dist (esm, cjs, d.ts, d.cts) in ${Math.round(performance.now() - started)} ms`,
);
