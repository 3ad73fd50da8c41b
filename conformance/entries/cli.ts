/**
 * Entry point for runtimes with a command line: Node, Bun and Deno run this same file (built by the harness with
 * the `@bulwark/*` imports left as package names, so each runtime resolves them through node_modules itself).
 * Usage: `<runtime> cli.mjs [--base-url=http://127.0.0.1:port] [--refused-url=...] [--filter=text] [--verbose]`. Exits 1 when a test failed.
 */
import { conformanceSuite, formatReport, formatResult, withUnhandled } from '../src/index.js';

interface DenoLike {
  readonly version: { readonly deno: string };
  readonly args: readonly string[];
  exit(code: number): never;
}
interface ProcessLike {
  readonly version: string;
  readonly argv: readonly string[];
  exitCode?: number;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): void;
}
const scope = globalThis as { Deno?: DenoLike; Bun?: { readonly version: string }; process?: ProcessLike };

/** Rejections nobody handled: counted as failures (Deno reports them as a web event, Node and Bun on process). */
const unhandled: unknown[] = [];
if (scope.Deno !== undefined) {
  addEventListener('unhandledrejection', (event) => {
    event.preventDefault();
    unhandled.push(event.reason);
  });
} else {
  scope.process?.on('unhandledRejection', (reason) => unhandled.push(reason));
}

function runtime(): { name: string; args: readonly string[]; exit: (code: number) => void } {
  const { Deno, Bun, process } = scope;
  if (Deno !== undefined)
    return { name: `deno ${Deno.version.deno}`, args: Deno.args, exit: (code) => Deno.exit(code) };
  if (process === undefined) throw new Error('cli.mjs: unknown runtime (no Deno, no process)');
  const name = Bun !== undefined ? `bun ${Bun.version}` : `node ${process.version.slice(1)}`;
  return {
    name,
    args: process.argv.slice(2),
    exit: (code) => {
      process.exitCode = code;
    },
  };
}

const host = runtime();
const option = (name: string): string | undefined =>
  host.args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

const suite = conformanceSuite({ baseUrl: option('base-url'), refusedUrl: option('refused-url') });
const report = await suite.run({
  runtime: host.name,
  filter: option('filter'),
  onResult: host.args.includes('--verbose') ? (result) => console.log(formatResult(result)) : undefined,
});
// Rejections are reported unhandled after a macrotask turn: give them one before counting.
await new Promise((resolve) => setTimeout(resolve, 0));
const final = withUnhandled(report, unhandled);
console.log(formatReport(final));
host.exit(final.failed === 0 && final.passed > 0 ? 0 : 1);
