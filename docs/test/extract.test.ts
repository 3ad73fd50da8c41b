import { describe, expect, it } from 'vitest';
import { extractExamples } from './extract.js';

const md = (...lines: string[]): string => lines.join('\n');

describe('extractExamples', () => {
  it('finds TypeScript and JavaScript blocks with their doc lines, and ignores other languages', () => {
    const examples = extractExamples(
      md(
        '# Title',
        '',
        '```ts',
        'const a = 1;',
        '```',
        '```sh',
        'npm test',
        '```',
        '```mjs',
        'let b;',
        'b = 2;',
        '```',
      ),
      'docs/x.md',
    );
    expect(examples.map(({ id, line, language, code }) => ({ id, line, language, code }))).toEqual([
      { id: 'docs/x.md:3', line: 4, language: 'ts', code: 'const a = 1;' },
      { id: 'docs/x.md:9', line: 10, language: 'js', code: 'let b;\nb = 2;' },
    ]);
  });

  it('reads the options of a marker on the line before the fence, or of the info string', () => {
    const [a, b, c] = extractExamples(
      md(
        '<!-- example: env=gemini-free-tier timeout=5000 known-failure=issue-1 -->',
        '```js',
        'x',
        '```',
        '```ts fragment',
        'function f(): void;',
        '```',
        '<!-- example: fragment -->',
        '```typescript',
        'y',
        '```',
      ),
      'a.md',
    );
    expect(a?.options).toEqual({
      fragment: false,
      env: 'gemini-free-tier',
      timeoutMs: 5000,
      knownFailure: 'issue-1',
    });
    expect(b?.options.fragment).toBe(true);
    expect(c?.options.fragment).toBe(true);
  });

  it('keeps a longer fence open across shorter ones, and strips a list indentation', () => {
    const [example] = extractExamples(
      md('- item', '  ````ts', '  const s = "```";', '  ```', '  ````'),
      'a.md',
    );
    expect(example?.code).toBe('const s = "```";\n```');
  });

  it('refuses an unknown marker word and a marker away from its fence', () => {
    expect(() => extractExamples(md('<!-- example: fragmnet -->', '```ts', 'x', '```'), 'a.md')).toThrow(
      "a.md:1: unknown example marker word 'fragmnet'",
    );
    expect(() => extractExamples(md('<!-- example: fragment -->', '', '```ts', 'x', '```'), 'a.md')).toThrow(
      'a.md:1: an example marker must be on the line just before',
    );
  });
});
