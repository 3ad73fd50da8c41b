import { ALGORITHMS } from './algorithms.js';
import { BUCKET } from './bucket.js';
import { OPERATIONS } from './operations.js';
import { ARGUMENT_TIME, PRELUDE, SERVER_TIME } from './prelude.js';
import { WINDOW } from './window.js';

/**
 * The rate-limit script: one source for the four operations (so one SHA-1, one NOSCRIPT fallback, and calls of
 * every kind reach the server in the order they were made). `server` reads the time with TIME, as production
 * always does; `argument` takes it from ARGV[2], for tests that must decide at a virtual clock's times.
 */
export function rateLimitSource(time: 'server' | 'argument'): string {
  return [
    '-- Bulwark rate-limit store, state format 1',
    PRELUDE,
    time === 'server' ? SERVER_TIME : ARGUMENT_TIME,
    BUCKET,
    WINDOW,
    ALGORITHMS,
    OPERATIONS,
  ].join('\n');
}
