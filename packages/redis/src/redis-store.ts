import { type GuardedRateLimitStore, type GuardStoreOptions, guardStore } from './guard/index.js';
import { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './rate-limit/index.js';

/** The Redis store's options and its guard's (timeout, onStoreError, probes) in one object. */
export interface RedisStoreOptions extends RedisRateLimitStoreOptions, GuardStoreOptions {}

/**
 * The rate-limit store most services want: the Redis store behind a guard, so a hung or stopped Redis adds at
 * most `callTimeoutMs` (default 250) to a call, and calls fall back to this process's own limits (default
 * `onStoreError: 'local'`) until Redis answers again. `redisRateLimitStore()` is the same store without the guard,
 * for those who wrap it themselves.
 * @throws `InvalidOptionError` (from `@bulwark/core`) naming the option, for an invalid option, when it is called
 * (never on a later call).
 */
export function redisStore(options: RedisStoreOptions): GuardedRateLimitStore {
  const store = new RedisRateLimitStore(options);
  return guardStore(store, {
    callTimeoutMs: options.callTimeoutMs,
    onStoreError: options.onStoreError,
    probeBackoff: options.probeBackoff,
    localMaxKeys: options.localMaxKeys,
    clock: options.clock,
    name: options.name ?? 'redis',
  });
}
