import { type LimitKind, layoutOf } from './layout.js';
import { operations } from './operations.js';
import { ARGUMENT_TIME, prelude, SERVER_TIME } from './prelude.js';

/**
 * The rate-limit script for one shape of limits (their kinds, in order): one source for the four operations (so
 * one SHA-1 per script, one NOSCRIPT fallback, and calls of every kind reach the server in the order they were
 * made). With `numbers` (per limit, see layout.ts) the script is for that one configuration, its numbers written
 * in; without, they travel in ARGV and every configuration of the shape shares the script (see scripts.ts).
 * `server` reads the time with TIME, as production always does; `argument` takes it from the last ARGV, for tests
 * that must decide at a virtual clock's times.
 */
export function rateLimitSource(
  shape: readonly LimitKind[],
  time: 'server' | 'argument',
  numbers?: readonly number[],
): string {
  const layout = layoutOf(shape, numbers);
  return [
    `-- Bulwark rate-limit store, state format 2, limits: ${shape.join(' ')}${numbers === undefined ? '' : ` (${numbers.join(' ')})`}`,
    prelude(layout),
    time === 'server' ? SERVER_TIME : ARGUMENT_TIME,
    operations(layout),
  ].join('\n');
}
