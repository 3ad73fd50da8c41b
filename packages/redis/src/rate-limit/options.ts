import { InvalidOptionError } from '@bulwark/core';
import { optionalString, orDefault, requireMethods, requireOptions } from '@bulwark/core/validate';
import { type IoredisLike, type NodeRedisLike, type RedisScriptClient, toScriptClient } from '../client.js';

/** Options of {@link redisRateLimitStore}; a bad value throws `InvalidOptionError` naming the option. */
export interface RedisRateLimitStoreOptions {
  /**
   * A connected client: node-redis (`createClient()`, `createCluster()`), ioredis (`new Redis()`,
   * `new Redis.Cluster()`), or any RedisScriptClient. Required. The store sends one script call per operation
   * and sets no timeout of its own: wrap the store to bound a hung server's latency.
   */
  readonly client: RedisScriptClient | NodeRedisLike | IoredisLike;
  /**
   * The first part of every key name, so several applications can share a server (`<prefix>:rl:{...}`).
   * Default `'bulwark'`. Must not contain `{` or `}`: the key's hash tag is the store's (see docs/distributed.md).
   */
  readonly prefix?: string;
}

export interface RedisRateLimitStoreSettings {
  readonly client: RedisScriptClient;
  readonly prefix: string;
}

export function redisRateLimitStoreSettings(
  options: RedisRateLimitStoreOptions,
): RedisRateLimitStoreSettings {
  const o = requireOptions(options, 'client');
  const given = o.client as unknown;
  const raw =
    typeof given === 'object' && given !== null ? toScriptClient(given as RedisScriptClient) : given;
  const client = requireMethods<RedisScriptClient>(
    'client',
    raw,
    ['evalSha', 'eval'],
    'a node-redis or ioredis client, or a RedisScriptClient',
  );
  const prefix = orDefault(optionalString('prefix', o.prefix), 'bulwark');
  if (prefix === '' || /[{}]/.test(prefix)) {
    throw new InvalidOptionError('prefix', `expected a non-empty string without { or }, got '${prefix}'`);
  }
  return { client, prefix };
}
