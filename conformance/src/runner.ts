/**
 * A tiny test runner for the conformance suite: no dependency and no runtime API beyond the language, promises and
 * `setTimeout`, so the same suite runs in Node, Bun, Deno, a browser page and a Cloudflare worker.
 */

export type TestBody = () => void | Promise<void>;

interface TestCase {
  readonly name: string;
  readonly body: TestBody;
}

export interface TestResult {
  readonly name: string;
  readonly ok: boolean;
  /** The failure's message and stack, when it failed. */
  readonly error?: string;
  readonly ms: number;
}

export interface Report {
  /** Runtime and version, as the entry point named them (`deno 2.9.6`). */
  readonly runtime: string;
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly TestResult[];
}

export interface RunOptions {
  readonly runtime: string;
  /** Only tests whose full name contains this text. */
  readonly filter?: string | undefined;
  /** Longest a test may take before it counts as failed (real ms): a hang must fail, not stall the run. */
  readonly testTimeoutMs?: number;
  /** Called once per test as it ends (console.log, a page binding...). */
  readonly onResult?: (result: TestResult) => void;
}

/** A group of tests sharing a name prefix: `const t = group('retry'); t('retries until success', async () => ...)`. */
export type Group = (name: string, body: TestBody) => void;

/** A registry of tests; `run` executes them one after the other, in registration order. */
export class Suite {
  private readonly cases: TestCase[] = [];

  group(prefix: string): Group {
    return (name, body) => {
      this.cases.push({ name: `${prefix}: ${name}`, body });
    };
  }

  get size(): number {
    return this.cases.length;
  }

  async run(options: RunOptions): Promise<Report> {
    const results: TestResult[] = [];
    const limit = options.testTimeoutMs ?? 10_000;
    for (const testCase of this.cases) {
      if (options.filter !== undefined && !testCase.name.includes(options.filter)) continue;
      const started = Date.now();
      let error: string | undefined;
      try {
        await withinLimit(testCase.body, limit);
      } catch (caught) {
        error = describeError(caught);
      }
      const result: TestResult = {
        name: testCase.name,
        ok: error === undefined,
        error,
        ms: Date.now() - started,
      };
      results.push(result);
      options.onResult?.(result);
    }
    const failed = results.filter((result) => !result.ok).length;
    return { runtime: options.runtime, passed: results.length - failed, failed, results };
  }
}

/** Runs `body`, failing it after `limit` ms; the guard timer is cleared either way, so it never holds a process. */
async function withinLimit(body: TestBody, limit: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`test did not finish within ${limit} ms`)), limit);
  });
  try {
    await Promise.race([Promise.resolve().then(body), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const stack = error.stack ?? '';
    // V8 and Bun start the stack with the message; Firefox-style and some workers' stacks do not.
    return stack.includes(error.message) ? stack : `${error.name}: ${error.message}\n${stack}`;
  }
  return `thrown non-error: ${String(error)}`;
}

/**
 * Adds the rejections nobody handled during the run (collected by the entry point from the runtime's
 * `unhandledrejection` event) to the report as failures: a policy must never leave one behind.
 */
export function withUnhandled(report: Report, reasons: readonly unknown[]): Report {
  if (reasons.length === 0) return report;
  const strays = reasons.map((reason) => ({
    name: 'unhandled rejection',
    ok: false,
    error: describeError(reason),
    ms: 0,
  }));
  return { ...report, failed: report.failed + strays.length, results: [...report.results, ...strays] };
}

/** One line per failure plus the closing count line, e.g. `bun 1.4.4: 61 passed, 0 failed`. */
export function formatReport(report: Report): string {
  const lines: string[] = [];
  for (const result of report.results) {
    if (!result.ok) lines.push(`FAIL ${result.name}\n${indent(result.error ?? '')}`);
  }
  lines.push(`${report.runtime}: ${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}

/** The line printed as each test ends. */
export function formatResult(result: TestResult): string {
  return `${result.ok ? 'ok  ' : 'FAIL'} ${result.name} (${result.ms} ms)`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
