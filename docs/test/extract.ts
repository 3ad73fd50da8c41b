/**
 * Finds the code examples of the Markdown docs: every fenced block in TypeScript (```ts, ```typescript) or
 * JavaScript (```js, ```mjs, ```javascript), with the options of its marker. See CONTRIBUTING.md for the
 * convention.
 */
import { readFileSync } from 'node:fs';

export type ExampleLanguage = 'ts' | 'js';

export interface ExampleOptions {
  /** Not checked nor run: a signature, a piece of a larger program, pseudo-code. */
  readonly fragment: boolean;
  /** A scenario of docs/test/envs/ that the runner loads before the example (e.g. a scripted fake Gemini). */
  readonly env: string | undefined;
  /** Time limit of the run (ms). */
  readonly timeoutMs: number | undefined;
  /** The example is known to fail because of a library defect (named here): the test expects the failure. */
  readonly knownFailure: string | undefined;
}

export interface DocExample {
  /** The Markdown file, relative to the repository root, with '/' separators. */
  readonly file: string;
  /** 1-based line of the opening fence in `file`. */
  readonly fenceLine: number;
  /** 1-based line of the example's first code line in `file`. */
  readonly line: number;
  readonly language: ExampleLanguage;
  readonly code: string;
  readonly options: ExampleOptions;
  /** `file:fenceLine`, the example's name in failures and filters. */
  readonly id: string;
}

const LANGUAGES: Readonly<Record<string, ExampleLanguage>> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  mjs: 'js',
  javascript: 'js',
};

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/;
const MARKER = /^\s*<!--\s*example:(.*?)-->\s*$/;

/** Parses the words of a marker (`fragment`, `env=name`, `timeout=ms`, `known-failure=why`). */
export function parseMarker(text: string, where: string): Partial<ExampleOptions> {
  const options: { -readonly [K in keyof ExampleOptions]?: ExampleOptions[K] } = {};
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const [key, value] = word.split('=', 2) as [string, string | undefined];
    if (key === 'fragment' && value === undefined) options.fragment = true;
    else if (key === 'env' && value) options.env = value;
    else if (key === 'timeout' && value && /^\d+$/.test(value)) options.timeoutMs = Number(value);
    else if (key === 'known-failure' && value) options.knownFailure = value;
    else throw new Error(`${where}: unknown example marker word '${word}' (see CONTRIBUTING.md)`);
  }
  return options;
}

/** The examples of one Markdown text, in order. */
export function extractExamples(markdown: string, file: string): DocExample[] {
  const lines = markdown.split('\n');
  const examples: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (MARKER.test(lines[i]!) && !FENCE.test(lines[i + 1] ?? '')) {
      throw new Error(
        `${file}:${i + 1}: an example marker must be on the line just before the example's fence`,
      );
    }
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, info, rest] = open as unknown as [string, string, string, string, string];
    // The closing fence: the same character, at least as long, nothing after it.
    let end = i + 1;
    while (end < lines.length) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[end]!);
      if (close !== null && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      end++;
    }
    const language = LANGUAGES[info.toLowerCase()];
    if (language !== undefined) {
      const where = `${file}:${i + 1}`;
      const words = rest.trim().split(/\s+/).filter(Boolean);
      const fromInfo = parseMarker(words.join(' '), where);
      const marker = i > 0 ? MARKER.exec(lines[i - 1]!) : null;
      const fromMarker = marker === null ? {} : parseMarker(marker[1]!, `${file}:${i}`);
      const body = lines
        .slice(i + 1, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
      examples.push({
        file,
        fenceLine: i + 1,
        line: i + 2,
        language,
        code: body.join('\n'),
        options: {
          fragment: fromInfo.fragment ?? fromMarker.fragment ?? false,
          env: fromMarker.env ?? fromInfo.env,
          timeoutMs: fromMarker.timeoutMs ?? fromInfo.timeoutMs,
          knownFailure: fromMarker.knownFailure ?? fromInfo.knownFailure,
        },
        id: `${file}:${i + 1}`,
      });
    }
    i = end;
  }
  return examples;
}

export function extractFile(root: string, file: string): DocExample[] {
  return extractExamples(readFileSync(`${root}/${file}`, 'utf8'), file);
}
