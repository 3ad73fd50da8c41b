/**
 * One "process" of a service: its own @google/genai client made resilient with a Redis store, on a fake Gemini
 * server. Run by two-processes.test.ts as a child process (node --import tsx). It connects, says `ready`, then runs
 * each `call` it is sent and answers with the outcome; it reports the adapter's `paused` and `wait` events as
 * they happen.
 *
 * argv: <redis url> <fake Gemini url> <client kind: node-redis | ioredis> <project>
 */
import { resilienceOf, withResilience } from '@bulwark/gemini-adapter';
import { GoogleGenAI } from '@google/genai';
import { redisRateLimitStore } from '../../src/index.js';
import { connectClient } from '../support/clients.js';

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'paused'; readonly duration: number }
  | { readonly type: 'wait'; readonly delay: number | undefined; readonly reason: string }
  | {
      readonly type: 'done';
      readonly ok: boolean;
      readonly kind: string | undefined;
      readonly requests: number;
      readonly retries: number;
    };

export type ParentMessage = { readonly type: 'call'; readonly model: string } | { readonly type: 'exit' };

const [redisUrl, fakeUrl, kind, project] = process.argv.slice(2) as [
  string,
  string,
  'node-redis' | 'ioredis',
  string,
];
const send = (message: WorkerMessage): void => {
  process.send?.(message);
};

const redis = await connectClient(kind, redisUrl);
const ai = withResilience(new GoogleGenAI({ apiKey: 'test', httpOptions: { baseUrl: fakeUrl } }), {
  store: redisRateLimitStore({ client: redis.scripts }),
  project,
  concurrency: false,
  retryBudget: false,
});
const { events, stats } = resilienceOf(ai);
events.on('paused', (e) => send({ type: 'paused', duration: e.duration }));
events.on('wait', (e) => send({ type: 'wait', delay: e.delay, reason: e.reason }));

process.on('message', async (message: ParentMessage) => {
  if (message.type === 'exit') {
    await redis.close();
    process.disconnect?.();
    return;
  }
  let outcome: { ok: boolean; kind: string | undefined };
  try {
    await ai.models.generateContent({ model: message.model, contents: 'hello' });
    outcome = { ok: true, kind: undefined };
  } catch (error) {
    outcome = { ok: false, kind: (error as { kind?: string }).kind ?? String(error) };
  }
  const { requests, retries } = stats();
  send({ type: 'done', ...outcome, requests, retries });
});
send({ type: 'ready' });
