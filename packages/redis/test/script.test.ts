import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNoScript, RedisScript, toScriptClient } from '../src/index.js';
import { clientKinds, connectClient, type TestClient } from './support/clients.js';
import { type RedisServer, startRedisServer } from './support/redis-server.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => server?.close());

describe.each(clientKinds)('RedisScript through %s', (kind) => {
  let client: TestClient;
  beforeAll(async () => {
    client = await connectClient(kind, server.url);
  });
  afterAll(() => client?.close());

  const echo = new RedisScript("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");

  it('runs by SHA-1 once the server knows the script, and by source after SCRIPT FLUSH', async () => {
    const key = `script-test:${kind}`;
    expect(await echo.run(client.scripts, [key], ['a'])).toEqual([key, 'a', 1]);
    await client.command(['SCRIPT', 'FLUSH']);
    expect(await echo.run(client.scripts, [key], ['b'])).toEqual([key, 'b', 2]);
    expect(await echo.run(client.scripts, [key], ['c'])).toEqual([key, 'c', 3]);
  });

  it('the SHA-1 is the one Redis computes', async () => {
    await echo.run(client.scripts, ['sha'], ['x']);
    const [known] = (await client.command(['SCRIPT', 'EXISTS', await shaOf(echo.source)])) as number[];
    expect(known).toBe(1);
  });

  it('passes a script error through (not mistaken for NOSCRIPT)', async () => {
    const broken = new RedisScript("return redis.error_reply('BUSTED here')");
    const error = await broken.run(client.scripts, ['k'], []).catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain('BUSTED');
    expect(isNoScript(error)).toBe(false);
  });

  it('toScriptClient recognises the raw client', async () => {
    // The adapters already wrap; a RedisScriptClient passes through unchanged.
    expect(toScriptClient(client.scripts)).toBe(client.scripts);
  });
});

async function shaOf(text: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha1').update(text).digest('hex');
}
