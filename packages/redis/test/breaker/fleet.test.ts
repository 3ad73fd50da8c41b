/**
 * Three real child processes (fleet-child.mjs, on the BUILT packages: `pnpm run build` first) and this one share a
 * circuit through a real redis-server: an open circuit here opens theirs, and of the three half-open children
 * exactly one gets to probe; its success closes all of them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { circuitBreaker, consecutive } from '@bulwark/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisCircuitSync } from '../../src/index.js';
import { connectClient, type TestClient } from '../support/clients.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const CHILD = fileURLToPath(new URL('./fleet-child.mjs', import.meta.url));

let server: RedisServer;
let client: TestClient;
const children: Child[] = [];
beforeAll(async () => {
  server = await startRedisServer();
  client = await connectClient('node-redis', server.url);
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await client?.close();
  await server?.close();
});

interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  send(line: string): void;
  /** Resolves once the child printed `line` (bounded: the test's own time limit). */
  saw(line: string): Promise<void>;
}

function startChild(name: string): Child {
  const child = spawn(process.execPath, [CHILD, server.url, name], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.line === line)) w.resolve();
  });
  return {
    process: child,
    lines,
    send: (line) => child.stdin!.write(`${line}\n`),
    saw: (line) =>
      lines.includes(line) ? Promise.resolve() : new Promise((resolve) => waiters.push({ line, resolve })),
  };
}

it('three child processes follow an open circuit, probe one at a time fleet-wide, and close together', async () => {
  const name = 'fleet-dependency';
  children.push(startChild(name), startChild(name), startChild(name));
  await Promise.all(children.map((c) => c.saw('ready')));
  await Promise.all(children.map((c) => c.saw('state closed')));

  const sync = redisCircuitSync({ client: client.scripts, name });
  const breaker = circuitBreaker({ strategy: consecutive(1), halfOpenAfter: 300, sync });
  await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
  await Promise.all(children.map((c) => c.saw('state open')));
  await Promise.all(children.map((c) => c.saw('state halfOpen')));

  for (const c of children) c.send('probe');
  await Promise.all(children.map((c) => Promise.race([c.saw('probe ran'), c.saw('probe refused')])));
  const ran = children.filter((c) => c.lines.includes('probe ran'));
  expect(ran).toHaveLength(1);
  expect(children.filter((c) => c.lines.includes('probe refused'))).toHaveLength(2);

  ran[0]!.send('finish');
  // Each child closes again (after its half-open): the prober by its probe, the others from the fleet's record.
  await Promise.all(children.map((c) => waitForLine(c, 'state closed', c.lines.indexOf('state halfOpen'))));
  sync.close();
  for (const c of children) c.send('exit');
  await Promise.all(children.map((c) => new Promise((resolve) => c.process.once('exit', resolve))));
}, 30_000);

/** Resolves once `line` appears at or after index `from`. */
async function waitForLine(child: Child, line: string, from: number): Promise<void> {
  while (child.lines.indexOf(line, from) === -1) await new Promise((resolve) => setTimeout(resolve, 10));
}
