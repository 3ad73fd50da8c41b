import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { fromIoredis, fromNodeRedis, type RedisScriptClient } from '../../src/index.js';

/** A connected client of each kind on one server, as a RedisScriptClient plus a way to send raw commands. */
export interface TestClient {
  readonly name: 'node-redis' | 'ioredis';
  readonly scripts: RedisScriptClient;
  command(args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

export const clientKinds = ['node-redis', 'ioredis'] as const;

export async function connectClient(kind: TestClient['name'], url: string): Promise<TestClient> {
  if (kind === 'node-redis') {
    const client = createClient({ url, socket: { reconnectStrategy: 50 } });
    client.on('error', () => {}); // reconnects on its own; the store reports the failed calls
    await client.connect();
    return {
      name: kind,
      scripts: fromNodeRedis(client),
      command: (args) => client.sendCommand(args),
      close: async () => {
        client.destroy();
      },
    };
  }
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await client.connect();
  return {
    name: kind,
    scripts: fromIoredis(client),
    command: ([name, ...args]) => client.call(name!, ...args),
    close: async () => {
      client.disconnect();
    },
  };
}
