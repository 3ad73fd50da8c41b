/**
 * What every published package carries besides its code (issue 14): the repository's LICENSE, a README with a
 * runnable example (run by examples.test.ts) and a link to its guide, and the registry's metadata.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const packages = readdirSync(join(ROOT, 'packages')).sort();
const read = (...path: string[]): string => readFileSync(join(ROOT, ...path), 'utf8');

describe.each(packages)('packages/%s', (dir) => {
  const manifest = JSON.parse(read('packages', dir, 'package.json'));

  it('carries the repository LICENSE, unchanged, and lists it in files', () => {
    expect(read('packages', dir, 'LICENSE')).toBe(read('LICENSE'));
    expect(manifest.license).toBe('MIT');
    expect(manifest.files).toContain('LICENSE');
  });

  it('has a README with an install line, an example and a link to its guide in docs/', () => {
    const readme = read('packages', dir, 'README.md');
    expect(readme).toMatch(new RegExp(`^# ${manifest.name}\\n`));
    const install = readme.split('\n').find((line) => line.startsWith('npm install '));
    expect(install?.split(' ')).toContain(manifest.name);
    expect(readme).toMatch(/```ts\n/);
    expect(readme).toMatch(/\]\(https:\/\/github\.com\/[^)]+\/docs\/[a-z-]+\.md\)/);
    expect(manifest.files).toContain('README.md');
  });

  it('has the registry metadata', () => {
    expect(manifest.repository).toMatchObject({ type: 'git', directory: `packages/${dir}` });
    expect(manifest.repository.url).toMatch(/^git\+https:\/\/github\.com\/.+\.git$/);
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs.url).toMatch(/\/issues$/);
    expect(manifest.keywords.length).toBeGreaterThan(3);
    expect(manifest.author).toBe('Bulwark contributors');
    expect(manifest.publishConfig).toEqual({ access: 'public' });
  });
});
