/** Runs one generated example in a child node process (run-example.mjs) and judges how it ended. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = join(dirname(fileURLToPath(import.meta.url)), 'run-example.mjs');
const FINISHED = '[docs-example] finished\n';

export interface RunOptions {
  /** A scenario of docs/test/envs/. */
  readonly env?: string | undefined;
  /** The process is killed after this long (ms). */
  readonly timeoutMs: number;
  readonly cwd: string;
}

export interface RunResult {
  readonly ok: boolean;
  /** How it ended: 'ran', or what went wrong. */
  readonly verdict: string;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
}

export function runExample(modulePath: string, options: RunOptions): Promise<RunResult> {
  const limit = options.timeoutMs;
  const args = ['--enable-source-maps', RUNNER, modulePath];
  if (options.env !== undefined) args.push(options.env);
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limit);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const finished = output.includes(FINISHED);
      let verdict: string | undefined;
      if (timedOut && finished) {
        verdict = `finished, but the process did not exit within ${limit} ms: something (a timer, a socket, a server) keeps it alive`;
      } else if (timedOut) {
        verdict = `did not finish within ${limit} ms`;
      } else if (code === 13) {
        verdict = 'exit code 13: its top-level await never settled, and nothing kept the process alive';
      } else if (code !== 0) {
        verdict = `exit code ${code ?? signal}`;
      } else if (!finished) {
        verdict = 'exited before its end (process.exit?)';
      }
      done({ ok: verdict === undefined, verdict: verdict ?? 'ran', output: output.replace(FINISHED, '') });
    });
  });
}

/** Runs at most `limit` tasks at once, in the order they asked. */
export function limiter(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: Array<() => void> = [];
  return async (work) => {
    if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}
