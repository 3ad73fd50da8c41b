import type { RateLimitScope } from '@bulwark/core/store';
import { RedisScript } from '../../script.js';
import { type LimitKind, limitNumbers, writableAsLiteral } from './layout.js';
import { rateLimitSource } from './script.js';

/**
 * Most configurations (limits with their numbers) given a script of their own, per process and clock. Redis keeps
 * every script it was sent (Redis before 7.4 never evicts one; 7.4 evicts scripts sent by EVAL beyond 500), each
 * a few tens of kB: a process that makes new limits all the time (`setLimits` driven by a controller, limits
 * computed per tenant) would otherwise grow the server's script cache without end. Beyond it, a configuration
 * runs its shape's script, which reads the numbers from ARGV (about 0.3 µs of Redis's time more per call).
 */
export const MAX_CONFIGURATION_SCRIPTS = 64;

/** What a scope's calls run: its script, and the numbers it sends (none when they are in the script). */
export interface ScopeScript {
  readonly script: RedisScript;
  /** Per limit its numbers as ARGV strings (see lua/layout.ts), sent after the op; empty when written in. */
  readonly numbers: readonly string[];
}

/**
 * The scripts of one clock, written once per process the first time a scope needs them: one per configuration
 * (its numbers written in as literals: nothing to send nor parse per call), up to MAX_CONFIGURATION_SCRIPTS, then
 * one per shape of limits (their kinds in order) that takes the numbers from ARGV.
 */
export function scriptsFor(
  time: 'server' | 'argument',
  maxConfigurations = MAX_CONFIGURATION_SCRIPTS,
): (limits: RateLimitScope['limits']) => ScopeScript {
  const byConfiguration = new Map<string, ScopeScript>();
  const byShape = new Map<string, ScopeScript>();
  return (limits) => {
    const shape: LimitKind[] = limits.map((l) => l.kind);
    const numbers = limitNumbers(limits);
    const name = `${shape.join(',')}|${numbers.join(',')}`;
    const own = byConfiguration.get(name);
    if (own !== undefined) return own;
    if (byConfiguration.size < maxConfigurations && numbers.every(writableAsLiteral)) {
      const made = { script: new RedisScript(rateLimitSource(shape, time, numbers)), numbers: [] };
      byConfiguration.set(name, made);
      return made;
    }
    const shapeName = shape.join(',');
    let shared = byShape.get(shapeName);
    if (shared === undefined) {
      shared = { script: new RedisScript(rateLimitSource(shape, time)), numbers: [] };
      byShape.set(shapeName, shared);
    }
    return { script: shared.script, numbers: numbers.map(String) };
  };
}
