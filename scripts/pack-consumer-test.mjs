#!/usr/bin/env node
// The packages as users get them: `pnpm pack` each one, install the tarballs in a fresh project outside the
// workspace (from the pnpm store when it has everything, else the npm registry), type-check a consumer importing
// every subpath with TypeScript `strict` (skipLibCheck off) under node16, nodenext and bundler resolution, then run
// it as ESM and as CJS. Build first (`pnpm run build`).
//
//   node scripts/pack-consumer-test.mjs          (pnpm run pack:consumer)
//   node scripts/pack-consumer-test.mjs --keep   keeps the temporary project and prints where it is
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');
const PACKAGES = ['core', 'http-status', 'gemini-adapter', 'redis', 'opentelemetry'];

const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = rootManifest.packageManager.replace(/^pnpm@/, '');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs a command; its output is shown, or (quiet) returned and shown only if it fails. */
function run(command, args, cwd, quiet = false) {
  console.log(`$ ${[command, ...args].join(' ')}   (in ${cwd})`);
  const env = { ...process.env, npm_config_update_notifier: 'false' };
  try {
    return execFileSync(command, args, { cwd, env, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
  } catch (error) {
    if (quiet) console.error(`${error.stdout ?? ''}${error.stderr ?? ''}`);
    throw error;
  }
}
const pnpm = (args, cwd, quiet) => run('npx', ['-y', `pnpm@${pnpmVersion}`, ...args], cwd, quiet);

const work = mkdtempSync(join(tmpdir(), 'bulwark-consumer-'));
try {
  // 1. The tarballs (pnpm pack turns `workspace:^` into the version range a user's install sees).
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const tarballOf = {};
  for (const dir of PACKAGES) {
    const cwd = join(root, 'packages', dir);
    const { name, version } = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
    const listing = pnpm(['pack', '--pack-destination', tarballs], cwd, true);
    tarballOf[name] = `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
    console.log(
      `${tarballOf[name]}: ${listing.split('\n').filter((line) => /^(dist|src)\//.test(line)).length} files`,
    );
  }
  const packed = readdirSync(tarballs);
  for (const file of Object.values(tarballOf)) {
    if (!packed.includes(file)) throw new Error(`pnpm pack made ${packed.join(', ')}; expected ${file}`);
  }

  // 2. A fresh project: the tarballs, the peers (the SDK the adapter expects, the OpenTelemetry API), an
  // OpenTelemetry SDK to read the metrics back, Node's types. Overrides make the packages' dependencies on each
  // other use the tarballs too (they are not on the registry).
  const project = join(work, 'consumer');
  mkdirSync(project);
  const lockedVersion = (name) => {
    const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
    return manifest.version;
  };
  const bulwark = Object.fromEntries(
    Object.entries(tarballOf).map(([name, file]) => [name, `file:../tarballs/${file}`]),
  );
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify(
      {
        name: 'bulwark-consumer',
        private: true,
        type: 'module',
        dependencies: {
          ...bulwark,
          '@google/genai': lockedVersion('@google/genai'),
          '@opentelemetry/api': lockedVersion('@opentelemetry/api'),
          '@opentelemetry/sdk-metrics': lockedVersion('@opentelemetry/sdk-metrics'),
          '@types/node': lockedVersion('@types/node'),
        },
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(project, 'pnpm-workspace.yaml'),
    [
      'overrides:',
      ...Object.entries(bulwark).map(([name, spec]) => `  "${name}": "${spec}"`),
      'allowBuilds:',
      '  "@google/genai": false',
      '  protobufjs: false',
      '',
    ].join('\n'),
  );
  pnpm(
    ['install', '--prefer-offline', '--no-frozen-lockfile', '--config.confirmModulesPurge=false'],
    project,
  );

  // 3. The consumer: the same program as ESM (.mts) and CJS (.cts).
  const source = readFileSync(join(root, 'scripts', 'pack-consumer', 'consumer.ts'), 'utf8');
  writeFileSync(join(project, 'consumer.mts'), source.replaceAll('__FORMAT__', 'esm'));
  writeFileSync(join(project, 'consumer.cts'), source.replaceAll('__FORMAT__', 'cjs'));
  const common = {
    strict: true,
    skipLibCheck: false,
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    types: ['node'],
    noEmit: true,
  };
  const profiles = {
    node16: { module: 'node16', moduleResolution: 'node16' },
    nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
    bundler: { module: 'preserve', moduleResolution: 'bundler' },
  };
  for (const [profile, options] of Object.entries(profiles)) {
    const config = `tsconfig.${profile}.json`;
    writeFileSync(
      join(project, config),
      JSON.stringify(
        { compilerOptions: { ...common, ...options }, files: ['consumer.mts', 'consumer.cts'] },
        null,
        2,
      ),
    );
    console.log(`== types: strict, ${profile}`);
    run(process.execPath, [tsc, '-p', config], project);
  }

  // 4. Each subpath of each exports map resolves to its own format's file (Node 20.19+ would also let require()
  // load an ESM file: that must not be what happens).
  const subpaths = PACKAGES.flatMap((dir) => {
    const { name, exports } = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    return Object.keys(exports)
      .filter((key) => key !== './package.json')
      .map((key) => (key === '.' ? name : `${name}/${key.slice(2)}`));
  });
  const resolveCheck = (resolve, extension) =>
    `for (const s of ${JSON.stringify(subpaths)}) { const f = ${resolve}; if (!f.endsWith('${extension}')) { console.error(s + ' -> ' + f); process.exitCode = 1; } }`;
  writeFileSync(join(project, 'resolve.cjs'), resolveCheck('require.resolve(s)', '.cjs'));
  writeFileSync(join(project, 'resolve.mjs'), resolveCheck('import.meta.resolve(s)', '.js'));
  console.log(`== resolve: ${subpaths.join(', ')}`);
  run(process.execPath, ['resolve.cjs'], project);
  run(process.execPath, ['resolve.mjs'], project);

  // 5. Run it: compiled under node16, then each format in its own process.
  writeFileSync(
    join(project, 'tsconfig.emit.json'),
    JSON.stringify(
      {
        compilerOptions: { ...common, ...profiles.node16, noEmit: false, outDir: 'out' },
        files: ['consumer.mts', 'consumer.cts'],
      },
      null,
      2,
    ),
  );
  run(process.execPath, [tsc, '-p', 'tsconfig.emit.json'], project);
  for (const file of ['consumer.mjs', 'consumer.cjs']) {
    console.log(`== run: ${file}`);
    run(process.execPath, [join('out', file)], project);
  }
  console.log(
    'pack-consumer-test: the packed tarballs install, type-check (node16, nodenext, bundler) and run (ESM, CJS)',
  );
} finally {
  if (keep) console.log(`kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
