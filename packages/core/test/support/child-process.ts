/** Runs small scripts in a child Node process against the BUILT package (`pnpm run build` first). */
import { execFile } from 'node:child_process';

/** `import()` URLs of the built entry points. */
export const CORE = new URL('../../dist/index.js', import.meta.url).href;
export const TESTING = new URL('../../dist/testing.js', import.meta.url).href;

export interface Exit {
  readonly code: number | null;
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ScriptOptions {
  /** A process that does not exit by itself within this is killed (`killed: true`): it only stops a hang. */
  readonly limitMs?: number;
  readonly nodeArgs?: readonly string[];
  /** Code run before `core` and `testing` are imported (to remove globals, for instance). */
  readonly prelude?: string;
}

/**
 * Runs `body` as an ES module with `core` and `testing` bound to the built package's entry points, and reports how
 * the process ended.
 */
export function runScript(body: string, options: ScriptOptions = {}): Promise<Exit> {
  const source = [
    options.prelude ?? '',
    `const core = await import(${JSON.stringify(CORE)});`,
    `const testing = await import(${JSON.stringify(TESTING)});`,
    body,
  ].join('\n');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), '--input-type=module', '-e', source],
      { timeout: options.limitMs ?? 10_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, killed: error?.killed === true || error?.signal === 'SIGKILL', stdout, stderr });
      },
    );
  });
}
