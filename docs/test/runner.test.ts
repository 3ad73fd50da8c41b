/** The runner of the docs examples: loopback only, stand-in servers, and a clear verdict for each way to end. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runExample } from './runner.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = join(ROOT, 'node_modules/.cache/docs-runner-test', `${process.pid}-${Date.now()}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
function run(code: string, timeoutMs = 10_000) {
  const file = join(dir, `example-${count++}.mjs`);
  writeFileSync(file, code);
  return runExample(file, { timeoutMs, cwd: ROOT });
}

describe.concurrent('run-example.mjs', { timeout: 60_000 }, () => {
  it('runs an example and passes its output on', async () => {
    expect(await run("console.log('hello');")).toEqual({ ok: true, verdict: 'ran', output: 'hello\n' });
  });

  it('answers fetch to api.example.com with a loopback echo server', async () => {
    const result = await run(
      "const res = await fetch('https://api.example.com/user/42?x=1', { method: 'POST', body: 'hi' });\n" +
        'console.log(res.status, JSON.stringify(await res.json()));',
    );
    expect(result).toMatchObject({
      ok: true,
      output: '200 {"ok":true,"method":"POST","path":"/user/42?x=1"}\n',
    });
  });

  it('answers the Gemini API with the fake Gemini server', async () => {
    const result = await run(
      "import { GoogleGenAI } from '@google/genai';\n" +
        'const ai = new GoogleGenAI({ apiKey: process.env.GEMINI_API_KEY });\n' +
        "console.log((await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'echo me' })).text);",
    );
    expect(result).toMatchObject({ ok: true, output: 'echo me\n' });
  });

  it('refuses any connection beyond the loopback, before resolving the name', async () => {
    const result = await run(
      "import net from 'node:net';\n" +
        "try { net.connect(443, 'bulwark.invalid'); } catch (error) { console.log(error.message); }\n" +
        "await fetch('https://bulwark.invalid/').catch((error) => console.log(error.cause?.message));",
    );
    const refusal =
      'docs example tried to connect to bulwark.invalid: examples may only reach loopback servers';
    expect(result).toMatchObject({ ok: true, output: `${refusal}\n${refusal}\n` });
  });

  it('reports an uncaught error with its exit code and stack', async () => {
    const result = await run("throw new Error('boom');");
    expect(result.ok).toBe(false);
    expect(result.verdict).toBe('exit code 1');
    expect(result.output).toContain('Error: boom');
  });

  it('reports a top-level await that never settles (exit code 13)', async () => {
    const result = await run('await new Promise(() => {});');
    expect(result).toMatchObject({ ok: false, verdict: expect.stringContaining('exit code 13') });
  });

  it('reports an example that never finishes, and one that finishes but keeps the process alive', async () => {
    const [hung, alive] = await Promise.all([
      run('await new Promise((resolve) => setTimeout(resolve, 60_000));', 8_000),
      run('setInterval(() => {}, 1_000);', 8_000),
    ]);
    expect(hung).toMatchObject({ ok: false, verdict: 'did not finish within 8000 ms' });
    expect(alive).toMatchObject({
      ok: false,
      verdict: expect.stringContaining('finished, but the process did not exit'),
    });
  });
});
