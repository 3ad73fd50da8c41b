import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { fromIoredis, fromNodeRedis, type RedisScriptClient } from '../../src/index.js';

export type ClientKind = 'node-redis' | 'ioredis';

/** How a client treats commands while it has no connection. */
export type QueueSetting =
  /** Rejected at once (what docs/distributed.md recommends under a guarded store). */
  | 'fail-fast'
  /** The clients' defaults: queued until the connection is back. */
  | 'offline-queue';

export interface OutageClient {
  readonly scripts: RedisScriptClient;
  close(): void;
}

/**
 * A client reconnecting every 50 ms, with the settings a guarded store wants (`fail-fast`: node-redis
 * `disableOfflineQueue: true`; ioredis `enableOfflineQueue: false, maxRetriesPerRequest: 0`) or the client's own
 * defaults for queueing (`offline-queue`).
 */
export async function connectForOutage(
  kind: ClientKind,
  url: string,
  setting: QueueSetting,
): Promise<OutageClient> {
  const failFast = setting === 'fail-fast';
  if (kind === 'node-redis') {
    const client = createClient({
      url,
      disableOfflineQueue: failFast,
      socket: { reconnectStrategy: 50 },
    });
    client.on('error', () => {}); // reconnects on its own; the guard reports the failed calls
    await client.connect();
    return { scripts: fromNodeRedis(client), close: () => client.destroy() };
  }
  const client = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => 50,
    ...(failFast ? { enableOfflineQueue: false, maxRetriesPerRequest: 0 } : {}),
  });
  client.on('error', () => {});
  await client.connect();
  return { scripts: fromIoredis(client), close: () => client.disconnect() };
}
