/**
 * The code examples of README.md, docs/*.md and each package's README.md are programs: each one is type-checked
 * strictly (one TypeScript program for all of them) and run in its own node process with a time limit, against
 * loopback servers only (see run-example.mjs). A failure names the doc file and line. CONTRIBUTING.md explains
 * the markers.
 *
 * One file or one example: DOCS_EXAMPLES=docs/gemini.md (or docs/gemini.md:624, comma-separated) npx vitest run docs
 * Every example's output: DOCS_EXAMPLES_OUTPUT=1. The generated files are kept with DOCS_EXAMPLES_KEEP=1.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DocExample, extractFile } from './extract.js';
import { limiter, runExample } from './runner.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_TIMEOUT_MS = 30_000;
const PARALLEL_RUNS = 3;

const docFiles = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
  // Each package's README (its npm page).
  ...readdirSync(join(ROOT, 'packages'))
    .filter((name) => existsSync(join(ROOT, 'packages', name, 'README.md')))
    .sort()
    .map((name) => `packages/${name}/README.md`),
];

/** DOCS_EXAMPLES=file[:fenceLine][,...] narrows the run (and the type-check) to those examples. */
const filters = (process.env.DOCS_EXAMPLES ?? '')
  .split(',')
  .map((f) => f.trim())
  .filter(Boolean);
const selected = (example: DocExample): boolean =>
  filters.length === 0 || filters.some((f) => example.id === f || example.file === f);

const examples = docFiles.flatMap((file) => extractFile(ROOT, file)).filter(selected);
const runnable = examples.filter((example) => !example.options.fragment);

// Generated files live under the repository's node_modules, so that imports resolve to the workspace packages.
const workDir = join(ROOT, 'node_modules/.cache/docs-examples', `${process.pid}-${Date.now()}`);
/** Each example's source gets (line - 1) empty lines first, so its line numbers are the doc's line numbers. */
const sourcePath = (example: DocExample): string =>
  join(
    workDir,
    `${example.file.replace(/[/\\]/g, '__')}__${example.fenceLine}.${example.language === 'ts' ? 'ts' : 'mjs'}`,
  );
const modulePath = (example: DocExample): string => sourcePath(example).replace(/\.ts$/, '.mjs');

/** Type errors of each example, as `file:line:col - message` with doc lines. */
const typeErrors = new Map<DocExample, string[]>();

/**
 * TypeScript examples are checked with the repository's strict settings. JavaScript examples are checked too
 * (names, options, arities, properties), without what plain JavaScript cannot express without JSDoc: implicit
 * `any`, null checks, `unknown` catch variables.
 */
const JS_RELAXED: ts.CompilerOptions = {
  noImplicitAny: false,
  strictNullChecks: false,
  noUncheckedIndexedAccess: false,
  useUnknownInCatchVariables: false,
};

function typeCheck(): void {
  const base = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.base.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (base === undefined) throw new Error('cannot read tsconfig.base.json');
  const options: ts.CompilerOptions = {
    ...base.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    allowJs: true,
    checkJs: true,
    // Every example is a module of its own, even one without import or export.
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
  // Both programs parse the same libraries and packages once.
  const host = ts.createCompilerHost(options);
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    if (!parsed.has(key)) parsed.set(key, getSourceFile.call(host, fileName, languageVersion, ...rest));
    return parsed.get(key);
  };
  for (const language of ['ts', 'js'] as const) {
    const examples = runnable.filter((example) => example.language === language);
    if (examples.length === 0) continue;
    const byPath = new Map(examples.map((example) => [resolve(sourcePath(example)), example]));
    const program = ts.createProgram(
      [...byPath.keys()],
      language === 'ts' ? options : { ...options, ...JS_RELAXED },
      host,
    );
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const example = diagnostic.file ? byPath.get(resolve(diagnostic.file.fileName)) : undefined;
      if (example === undefined) {
        throw new Error(`type-check of the docs examples: ${diagnostic.file?.fileName ?? ''} ${message}`);
      }
      const { line, character } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const list = typeErrors.get(example) ?? [];
      list.push(`${example.file}:${line + 1}:${character + 1} - error TS${diagnostic.code}: ${message}`);
      typeErrors.set(example, list);
    }
  }
}

function writeSources(): void {
  mkdirSync(workDir, { recursive: true });
  for (const example of runnable) {
    const source = '\n'.repeat(example.line - 1) + example.code + '\n';
    writeFileSync(sourcePath(example), source);
    if (example.language === 'ts') {
      const out = ts.transpileModule(source, {
        fileName: sourcePath(example),
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          inlineSourceMap: true,
          moduleDetection: ts.ModuleDetectionKind.Force,
        },
      });
      writeFileSync(modulePath(example), out.outputText);
    }
  }
}

/** A failure whose message says it all: no stack frames into this test file. */
class ExampleFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExampleFailure';
    this.stack = `${this.name}: ${message}`;
  }
}

const slot = limiter(PARALLEL_RUNS);

/** Runs an example; the report shows its output with generated paths replaced by doc paths. */
async function run(example: DocExample): Promise<{ ok: boolean; report: string }> {
  const result = await runExample(modulePath(example), {
    env: example.options.env,
    timeoutMs: example.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    cwd: ROOT,
  });
  const shown = result.output
    .replaceAll(pathToFileURL(sourcePath(example)).href, example.file)
    .replaceAll(sourcePath(example), example.file)
    .replaceAll(`${workDir}/`, '')
    .trimEnd();
  const head = `${example.id} (${example.language})`;
  return { ok: result.ok, report: `${head}: ${result.verdict}${shown ? `\n--- output ---\n${shown}` : ''}` };
}

beforeAll(() => {
  for (const pkg of ['core', 'http-status', 'gemini-adapter', 'redis', 'opentelemetry']) {
    if (!existsSync(join(ROOT, `packages/${pkg}/dist/index.js`))) {
      throw new Error(
        `the docs examples import the built packages: build first (packages/${pkg}/dist is missing)`,
      );
    }
  }
  writeSources();
  if (runnable.length > 0) typeCheck();
}, 120_000);

afterAll(() => {
  if (process.env.DOCS_EXAMPLES_KEEP === undefined) rmSync(workDir, { recursive: true, force: true });
  else console.log(`docs examples kept in ${relative(ROOT, workDir)}`);
});

describe.concurrent('docs examples', () => {
  it('finds the examples', () => {
    expect(filters.length > 0 || examples.length >= 20).toBe(true);
    if (filters.length > 0)
      expect(examples.length, `no example matches DOCS_EXAMPLES=${filters}`).toBeGreaterThan(0);
  });

  for (const example of examples) {
    const name = `${example.id} (${example.language})`;
    if (example.options.fragment) {
      it.skip(`${name}: fragment`, () => {});
      continue;
    }
    const limit = example.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    it(name, { timeout: limit * 4 + 30_000 }, async () => {
      const errors = typeErrors.get(example) ?? [];
      const result =
        errors.length > 0
          ? { ok: false, report: `${name}: type errors\n${errors.join('\n')}` }
          : await slot(() => run(example));
      const known = example.options.knownFailure;
      if (process.env.DOCS_EXAMPLES_OUTPUT !== undefined) console.log(result.report);
      else if (known !== undefined && !result.ok) {
        const lines = result.report.split('\n');
        const shown = lines.slice(0, 16).join('\n') + (lines.length > 16 ? '\n...' : '');
        console.log(`known failure (${known}), as expected: ${shown}`);
      }
      if (known === undefined) {
        if (!result.ok) throw new ExampleFailure(result.report);
      } else if (result.ok) {
        throw new ExampleFailure(
          `${name} is marked known-failure=${known} but now passes: remove the marker from ${example.file}:${example.fenceLine - 1}`,
        );
      }
    });
  }
});
