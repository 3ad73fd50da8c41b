/**
 * Runs the storm service in a worker thread, so the service's clock and event loop do not share a thread with
 * the clients it is measuring (on two cores: one for each).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { Scenario } from '../scenario.js';
import { type ServiceLog, type StormService, startStormService } from './server.js';

type Command = { readonly type: 'begin'; readonly at: number } | { readonly type: 'close' };
type Reply =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'closed'; readonly log: ServiceLog };

if (parentPort !== null && (workerData as { stormService?: Scenario } | null)?.stormService !== undefined) {
  const port = parentPort;
  const service = await startStormService((workerData as { stormService: Scenario }).stormService);
  port.on('message', async (command: Command) => {
    if (command.type === 'begin') service.begin(command.at);
    else {
      const log = await service.close();
      port.postMessage({ type: 'closed', log } satisfies Reply, [
        log.times.buffer as ArrayBuffer,
        log.outcomes.buffer as ArrayBuffer,
      ]);
      port.close();
    }
  });
  port.postMessage({ type: 'ready', url: service.url } satisfies Reply);
}

/**
 * The worker's entry: registers tsx's loader inside the thread (a worker does not inherit the parent's), then
 * loads this module.
 */
const BOOTSTRAP = `
  const { workerData } = require('node:worker_threads');
  import(workerData.tsx).then(({ register }) => { register(); return import(workerData.entry); });
`;

/** tsx's loader API, resolved from this package (the worker's eval code has no module of its own to resolve from). */
function tsxLoader(): string {
  // The package's CommonJS build of this entry cannot register hooks; its ES module twin sits beside it.
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
}

/** Starts the service in a worker thread (TypeScript loaded through tsx, as in the parent). */
export async function startStormServiceInWorker(scenario: Scenario): Promise<StormService> {
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { stormService: scenario, entry: import.meta.url, tsx: tsxLoader() },
  });
  const next = (): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const onError = (error: unknown): void => {
        worker.off('message', onMessage);
        reject(error);
      };
      const onMessage = (reply: Reply): void => {
        worker.off('error', onError);
        resolve(reply);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
    });
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('storm worker: unexpected first message');
  return {
    url: ready.url,
    begin(at) {
      worker.postMessage({
        type: 'begin',
        at: at ?? performance.timeOrigin + performance.now(),
      } satisfies Command);
    },
    async close() {
      const closed = next();
      worker.postMessage({ type: 'close' } satisfies Command);
      const reply = await closed;
      await worker.terminate();
      if (reply.type !== 'closed') throw new Error('storm worker: unexpected reply to close');
      return reply.log;
    },
  };
}
