/**
 * examples/distributed-gemini.ts (`pnpm demo:distributed`) runs as documented: two processes on their own each
 * receive the 429 of a spent quota; sharing a real redis-server, only the first one does, and both answer every call.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function runExample(): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/distributed-gemini.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('examples/distributed-gemini.ts', () => {
  it('shows the first 429 pausing both processes through Redis', { timeout: 120_000 }, async () => {
    const { code, output } = await runExample();
    expect(code, output).toBe(0);
    const [alone, shared] = output.split('Sharing a Redis store') as [string, string];
    // On their own: both processes receive a 429.
    expect(alone.match(/1 × 429 received/g), output).toHaveLength(2);
    expect(alone).toContain('429s in all: 2');
    // Sharing: one process receives it; the other sends nothing while paused, and every call is answered.
    expect(shared).toMatch(/process [AB]: 6 answers, 6 requests sent, 0 × 429 received/);
    expect(shared).toContain('429s in all: 1');
    expect(output.match(/6 answers/g)).toHaveLength(4);
    expect(output).toContain('Sharing: the first 429 paused both processes (1 429 instead of 2).');
  });
});
