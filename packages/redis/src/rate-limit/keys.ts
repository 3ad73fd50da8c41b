import type { RateLimitScope } from '@bulwark/core/store';

/**
 * Key names. Every key of one scope (one set of limits) carries the same hash tag, `{<scope id>}`, so one script
 * call only touches keys of one Redis Cluster slot: the key's state and the scope's pause (which every acquire of
 * the scope reads) must sit together, and a pause of the whole scope must be one write, not one per key. The
 * price: one scope's keys live on one Cluster node (give very many busy keys different scopes to spread them).
 *
 *   <prefix>:rl:{<scope id>}:pause      the scope's pause (time until which nobody is admitted)
 *   <prefix>:rl:{<scope id>}:k:<key>    one key's state (little-endian doubles, see lua/state.ts)
 *   <prefix>:rl:{<scope id>}:limits     the buckets' intervals of the last relimit (see lua/operations.ts)
 */
export interface ScopeKeys {
  readonly pause: string;
  /** The key's state is at `state + key`. */
  readonly state: string;
  readonly limits: string;
  /** A SCAN pattern that matches every key's state (the prefix's glob characters escaped). */
  readonly states: string;
}

export function scopeKeys(prefix: string, scope: RateLimitScope): ScopeKeys {
  const hash = scopeHash(scope.id);
  const tag = `${prefix}:rl:{${hash}}`;
  return {
    pause: `${tag}:pause`,
    state: `${tag}:k:`,
    limits: `${tag}:limits`,
    states: `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:rl:{${hash}}:k:*`,
  };
}

/** The state format, part of the hashed id: a future layout gets other keys instead of misreading these. */
const FORMAT = 'rl2|';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/**
 * A short stable id for a scope: FNV-1a (64 bits) of the UTF-8 bytes of the format and the scope id (core's JSON
 * of the limits' numbers), in 16 hex digits. The same in every process and runtime, and reproducible by other
 * implementations; the scope id itself is too long for a key name.
 */
export function scopeHash(id: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(FORMAT + id)) {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK;
  }
  return hash.toString(16).padStart(16, '0');
}
