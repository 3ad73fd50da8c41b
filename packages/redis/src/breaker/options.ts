import type { Clock } from '@bulwark/core';
import {
  clockOf,
  describe,
  optionalString,
  orDefault,
  requireInteger,
  requireNonEmptyString,
  requireOptions,
} from '@bulwark/core/validate';
import { InvalidOptionError } from '@bulwark/core';
import { type IoredisLike, type NodeRedisLike, type RedisScriptClient, toScriptClient } from '../client.js';

/** Options of {@link redisCircuitSync}; a bad value throws `InvalidOptionError` naming the option. */
export interface RedisCircuitSyncOptions {
  /**
   * A connected client: node-redis (`createClient()` / `createCluster()`), ioredis (`new Redis()` /
   * `new Redis.Cluster()`), or any RedisScriptClient. Shared with other Bulwark stores if you like; the sync never
   * closes it.
   */
  readonly client: RedisScriptClient | NodeRedisLike | IoredisLike;
  /**
   * The circuit's name in the fleet: breakers of every process that pass a sync of the same `name` (and `prefix`)
   * share one circuit. Usually the dependency's name.
   */
  readonly name: string;
  /** Prepended to the keys (`<prefix>{<name>}:circuit`, `<prefix>{<name>}:probes`). Default `'bulwark:breaker:'`. */
  readonly prefix?: string;
  /**
   * How late this process may learn of the fleet's state (ms): it reads the circuit's record this often, in one
   * background timer that does not keep the process alive. An open circuit in another process opens this one at
   * most `stalenessMs` plus one round trip later. Default 1 000 (>= 10).
   */
  readonly stalenessMs?: number;
  /**
   * The longest any Redis call may take (ms) before the sync gives up on it: a hung Redis adds at most this much
   * to a half-open probe, and nothing to other calls. Default 500.
   */
  readonly timeoutMs?: number;
  /**
   * How long a probe permit lasts if it is not given back (ms): a process that dies while probing frees its permit
   * after this. A probe running longer than this may run beside another one. Default 30 000.
   */
  readonly probeLeaseMs?: number;
  /**
   * How long the record stays in Redis after the break ends or the circuit closes (ms): long enough for every
   * process to read it, after which an idle circuit costs nothing. Default 60 000, or 2 × `stalenessMs` if longer
   * (at least that).
   */
  readonly keepMs?: number;
  /** For the timers (poll, timeouts). Default: the real clock. */
  readonly clock?: Clock;
}

/** The options, checked, with their defaults. */
export interface RedisCircuitSyncSettings {
  readonly client: RedisScriptClient;
  readonly name: string;
  readonly keys: readonly [record: string, probes: string];
  readonly stalenessMs: number;
  readonly timeoutMs: number;
  readonly probeLeaseMs: number;
  readonly keepMs: number;
  readonly clock: Clock;
}

/** Checks every option (InvalidOptionError naming it) and fills in the defaults. */
export function circuitSyncSettings(options: RedisCircuitSyncOptions): RedisCircuitSyncSettings {
  const o = requireOptions(options, 'client and name');
  const client = scriptClientOf(o.client);
  const name = requireNonEmptyString('name', o.name);
  const prefix = optionalString('prefix', o.prefix) ?? 'bulwark:breaker:';
  const stalenessMs = requireInteger('stalenessMs', orDefault(o.stalenessMs, 1_000), 10);
  const timeoutMs = requireInteger('timeoutMs', orDefault(o.timeoutMs, 500), 1);
  const probeLeaseMs = requireInteger('probeLeaseMs', orDefault(o.probeLeaseMs, 30_000), 1);
  const keepMs = requireInteger(
    'keepMs',
    orDefault(o.keepMs, Math.max(60_000, 2 * stalenessMs)),
    2 * stalenessMs,
  );
  // One hash tag for both keys: a Cluster keeps them in one slot, as a script needs.
  const tagged = `${prefix}{${name}}`;
  return {
    client,
    name,
    keys: [`${tagged}:circuit`, `${tagged}:probes`],
    stalenessMs,
    timeoutMs,
    probeLeaseMs,
    keepMs,
    clock: clockOf(o.clock),
  };
}

function scriptClientOf(value: unknown): RedisScriptClient {
  const c = value as Record<string, unknown> | null;
  const usable =
    typeof c === 'object' &&
    c !== null &&
    (typeof c.evalsha === 'function' || typeof c.evalSha === 'function') &&
    typeof c.eval === 'function';
  if (!usable) {
    throw new InvalidOptionError(
      'client',
      `expected a node-redis or ioredis client, or a RedisScriptClient (evalSha, eval), got ${describe(value)}`,
    );
  }
  return toScriptClient(value as RedisScriptClient);
}
