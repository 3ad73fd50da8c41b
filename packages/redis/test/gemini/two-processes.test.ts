/**
 * The Gemini adapter across real processes: two child processes, each with its own @google/genai client, adapter
 * and Redis store (one on node-redis, one on ioredis), share one project's state through a real redis-server,
 * against one fake Gemini server. The first 429 in one pauses both; another project is not paused.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type FakeGemini, fault, startFakeGemini } from '@bulwark/gemini-adapter/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import type { ParentMessage, WorkerMessage } from './worker.js';

const FLASH = 'gemini-2.5-flash';
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** A worker process, its messages so far, and a way to wait for the next one of a type. */
class Worker {
  readonly messages: WorkerMessage[] = [];
  private waiting: Array<{ type: string; resolve: (m: WorkerMessage) => void }> = [];
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: WorkerMessage) => {
      this.messages.push(message);
      const i = this.waiting.findIndex((w) => w.type === message.type);
      if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(message);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  next<T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>> {
    return new Promise((resolve) => this.waiting.push({ type, resolve: resolve as never }));
  }

  send(message: ParentMessage): void {
    this.child.send(message);
  }

  /** Asks for one generateContent call and waits for its outcome. */
  call(model: string): Promise<Extract<WorkerMessage, { type: 'done' }>> {
    const done = this.next('done');
    this.send({ type: 'call', model });
    return done;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) this.send({ type: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

async function startWorker(redis: RedisServer, fake: FakeGemini, kind: string, project: string) {
  const child = fork(WORKER, [redis.url, fake.url, kind, project], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const worker = new Worker(child);
  await worker.next('ready');
  return worker;
}

// Each test starts two Node processes (with tsx): seconds on a busy machine.
describe('the Gemini adapter in two processes sharing a real Redis', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let fake: FakeGemini;
  let workers: Worker[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    fake = await startFakeGemini();
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.close()));
    workers = [];
    fake.reset();
  });
  afterAll(async () => {
    await fake?.close();
    await redis?.close();
  });

  it("the first 429 in one pauses the other for the server's delay: it sends nothing until then", async () => {
    workers = await Promise.all([
      startWorker(redis, fake, 'node-redis', 'shared'),
      startWorker(redis, fake, 'ioredis', 'shared'),
    ]);
    const [a, b] = workers as [Worker, Worker];
    fake.script(FLASH, [fault.rateLimited({ retryDelayMs: 1_500, exactRetryInfo: true })]);
    const paused = a.next('paused');
    const first = a.call(FLASH);
    expect(await paused).toEqual({ type: 'paused', duration: 1_500 });
    // B never gets a 429: it reads the pause from Redis and waits for it.
    const second = await b.call(FLASH);
    expect(second).toMatchObject({ ok: true, requests: 1, retries: 0 });
    expect((await first).ok).toBe(true);
    const [refused, ...rest] = fake.requests;
    expect(refused!.answer).toBe('rateLimited');
    expect(rest.map((r) => r.answer)).toEqual(['ok', 'ok']);
    // Nothing reached the server before the pause (written to Redis after the 429 was sent) was over.
    for (const r of rest) expect(r.time - refused!.time).toBeGreaterThanOrEqual(1_500 - 1);
    expect(b.messages.filter((m) => m.type === 'paused')).toEqual([]);
    expect(b.messages.find((m) => m.type === 'wait')).toMatchObject({ reason: 'limit' });
  });

  it('a process of another project is not paused: it learns the 429 by itself', async () => {
    workers = await Promise.all([
      startWorker(redis, fake, 'ioredis', 'project-a'),
      startWorker(redis, fake, 'node-redis', 'project-b'),
    ]);
    const [a, b] = workers as [Worker, Worker];
    // A's pause outlasts B's start by far: B's first request comes while A is paused.
    fake.script(FLASH, [
      fault.rateLimited({ retryDelayMs: 4_000, exactRetryInfo: true }),
      fault.rateLimited({ retryDelayMs: 1_000, exactRetryInfo: true }),
    ]);
    const paused = a.next('paused');
    const first = a.call(FLASH);
    await paused;
    const second = await b.call(FLASH);
    expect(second).toMatchObject({ ok: true, requests: 2, retries: 1 });
    expect(b.messages.filter((m) => m.type === 'paused')).toHaveLength(1);
    expect((await first).ok).toBe(true);
    expect(fake.requests.map((r) => r.answer)).toEqual(['rateLimited', 'rateLimited', 'ok', 'ok']);
  });
});
