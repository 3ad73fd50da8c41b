/**
 * The only thing Bulwark asks of a Redis client: run a script by its SHA-1 and run a script by its source. Both
 * route by `keys` (so a Redis Cluster client sends the call to the keys' slot). Adapters for the two main Node
 * clients are below; any other client (Valkey GLIDE, an HTTP Redis client on an edge runtime) needs only these
 * two functions.
 *
 * Replies are what the client returns for a Lua reply: integers as numbers, bulk strings as strings, arrays as
 * arrays. A script that does not exist on the server must reject with an error whose message starts with
 * `NOSCRIPT` (what Redis and Valkey answer), so the caller can send the source instead.
 */
export interface RedisScriptClient {
  /**
   * Runs a script the server holds, by its SHA-1 (EVALSHA); rejects with a `NOSCRIPT` error when the server does not
   * hold it.
   */
  evalSha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** Runs a script by its source (EVAL), which also caches it on the server. */
  eval(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
}

/** The methods of a node-redis (`redis` 4-6) client or cluster client that the adapter uses. */
export interface NodeRedisLike {
  /** node-redis' EVALSHA. */
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** node-redis' EVAL. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** The methods of an ioredis (or iovalkey) client or cluster client that the adapter uses. */
export interface IoredisLike {
  /** ioredis' EVALSHA. */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** ioredis' EVAL. */
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** Wraps a connected node-redis client (`createClient()` / `createCluster()` from `redis`). */
export function fromNodeRedis(client: NodeRedisLike): RedisScriptClient {
  return {
    evalSha: (sha, keys, args) => client.evalSha(sha, { keys: [...keys], arguments: [...args] }),
    eval: (source, keys, args) => client.eval(source, { keys: [...keys], arguments: [...args] }),
  };
}

/** Wraps an ioredis (or iovalkey) client: `new Redis()` / `new Redis.Cluster()`. */
export function fromIoredis(client: IoredisLike): RedisScriptClient {
  return {
    evalSha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
    eval: (source, keys, args) => client.eval(source, keys.length, ...keys, ...args),
  };
}

/**
 * Takes a node-redis or ioredis client as it is, or a RedisScriptClient: the shape tells them apart (ioredis has
 * `evalsha`, node-redis `evalSha` with an options object, a RedisScriptClient `evalSha` with three arguments).
 */
export function toScriptClient(client: RedisScriptClient | NodeRedisLike | IoredisLike): RedisScriptClient {
  if (typeof (client as IoredisLike).evalsha === 'function') return fromIoredis(client as IoredisLike);
  if (isNodeRedis(client)) return fromNodeRedis(client as NodeRedisLike);
  return client as RedisScriptClient;
}

function isNodeRedis(client: object): boolean {
  // node-redis clients carry these; a plain RedisScriptClient object does not.
  return 'scriptLoad' in client && 'sendCommand' in client;
}
