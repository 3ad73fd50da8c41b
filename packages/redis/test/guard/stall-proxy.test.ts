import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type StallProxy, startStallProxy } from '../support/stall-proxy.js';
import { connectForOutage } from './outage-clients.js';

let server: RedisServer;
let proxy: StallProxy;
beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startStallProxy(server);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

const ECHO = 'return ARGV[1]';

describe('the stalling proxy (test fixture)', () => {
  it('passes traffic, holds it while stalled, delivers it on resume, and drops connections', async () => {
    const client = await connectForOutage('ioredis', proxy.url, 'offline-queue');
    try {
      expect(await client.scripts.eval(ECHO, [], ['through'])).toBe('through');
      expect(proxy.connections).toBe(1);

      proxy.stall();
      let answer: unknown;
      const pending = client.scripts.eval(ECHO, [], ['held']).then((value) => (answer = value));
      // The bytes reach the proxy and stay there.
      while (proxy.heldBytes === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(answer).toBeUndefined();
      proxy.resume();
      await pending;
      expect(answer).toBe('held');

      proxy.drop();
      expect(proxy.connections).toBe(0);
      // The client reconnects through the proxy (its commands wait in its offline queue meanwhile).
      expect(await client.scripts.eval(ECHO, [], ['again'])).toBe('again');
      expect(proxy.connections).toBe(1);
    } finally {
      client.close();
    }
  });
});
